package dev.gatehouse.doctor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sudoers commands that run Gatehouse, read from {@code sudoers} and the files of
 * {@code sudoers.d/} (those sudo reads: no {@code .} in the name, no trailing {@code ~}).
 * Enough of the grammar to find them (continuations, comments, aliases, tags, runas lists);
 * a command counts when it mentions {@code gatehouse}.
 */
final class SudoersRules {
  /** One command of a user specification or a Cmnd_Alias. */
  record Command(Path file, int line, String text, boolean setenv) {
    String where() {
      return file + ":" + line;
    }
  }

  /**
   * The one shape {@code gatehouse exec --print-sudoers} prints: a fixed program (the
   * launcher, or java -jar JAR), a fixed absolute {@code --home}, then {@code exec} and its
   * arguments. No wildcard may come before {@code exec}: in sudoers a {@code *} matches across
   * spaces, so it could stand for another {@code --home}.
   */
  static final Pattern EXPECTED = Pattern.compile(
      "(/[^\\s*?\\[\\]\\\\]+)(?: -jar (/[^\\s*?\\[\\]\\\\]+))? --home (/[^\\s*?\\[\\]\\\\]+) exec(?: .*)?");
  private static final Pattern TAG = Pattern.compile("^([A-Z_]+):\\s*");
  private static final Pattern RUNAS = Pattern.compile("^\\([^)]*\\)\\s*");

  private SudoersRules() {}

  /** Every Gatehouse command in the sudoers files under {@code root}; NotChecked when they cannot be read. */
  static List<Command> read(Path root) throws NotChecked, IOException {
    List<Path> files = new ArrayList<>();
    Path main = root.resolve("sudoers");
    if (Files.exists(main)) {
      files.add(main);
    }
    Path dir = root.resolve("sudoers.d");
    if (Files.isDirectory(dir)) {
      try (DirectoryStream<Path> list = Files.newDirectoryStream(dir)) {
        for (Path p : list) {
          String name = p.getFileName().toString();
          if (!name.contains(".") && !name.endsWith("~") && Files.isRegularFile(p)) {
            files.add(p);
          }
        }
      } catch (AccessDeniedException e) {
        throw new NotChecked(dir + " cannot be read", "run doctor as root to check the sudoers rules: `sudo gatehouse doctor --home THIS_HOME`");
      }
    }
    files.sort(null);
    List<Command> out = new ArrayList<>();
    for (Path f : files) {
      try {
        out.addAll(parse(f, Files.readAllLines(f, StandardCharsets.UTF_8)));
      } catch (AccessDeniedException e) {
        throw new NotChecked(f + " cannot be read", "run doctor as root to check the sudoers rules: `sudo gatehouse doctor --home THIS_HOME`");
      } catch (NoSuchFileException gone) {
        // removed meanwhile
      }
    }
    return out;
  }

  static List<Command> parse(Path file, List<String> lines) {
    List<Command> out = new ArrayList<>();
    StringBuilder logical = new StringBuilder();
    int start = 0;
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i);
      if (logical.isEmpty()) {
        start = i + 1;
      }
      if (l.endsWith("\\")) {
        logical.append(l, 0, l.length() - 1).append(' ');
        continue;
      }
      logical.append(l);
      statement(file, start, stripComment(logical.toString()).strip(), out);
      logical.setLength(0);
    }
    return out;
  }

  private static String stripComment(String s) {
    String t = s.strip();
    if (t.startsWith("#include") || t.startsWith("@include")) {
      return "";
    }
    int hash = s.indexOf('#');
    // "#123" is a uid in a user list, not a comment
    while (hash >= 0 && hash + 1 < s.length() && Character.isDigit(s.charAt(hash + 1))) {
      hash = s.indexOf('#', hash + 1);
    }
    return hash < 0 ? s : s.substring(0, hash);
  }

  private static void statement(Path file, int line, String s, List<Command> out) {
    if (s.isEmpty() || s.startsWith("Defaults") || s.startsWith("User_Alias") || s.startsWith("Runas_Alias")
        || s.startsWith("Host_Alias")) {
      return;
    }
    int eq = s.indexOf('='); // user spec "who host = cmnds" or "Cmnd_Alias NAME = cmnds"
    if (eq < 0) {
      return;
    }
    String rest = s.substring(eq + 1);
    boolean setenv = false;
    // A user spec may hold several "host = cmnds" parts separated by ':' between them; commands by ','.
    for (String piece : rest.split("(?<!\\\\),")) {
      String cmd = piece.strip();
      while (true) {
        Matcher runas = RUNAS.matcher(cmd);
        if (runas.find()) {
          cmd = cmd.substring(runas.end());
          continue;
        }
        Matcher tag = TAG.matcher(cmd);
        if (tag.find()) {
          if (tag.group(1).equals("SETENV")) {
            setenv = true;
          } else if (tag.group(1).equals("NOSETENV")) {
            setenv = false;
          }
          cmd = cmd.substring(tag.end());
          continue;
        }
        break;
      }
      cmd = cmd.replaceAll("\\s+", " ").strip();
      if (cmd.toLowerCase(Locale.ROOT).contains("gatehouse")) {
        out.add(new Command(file, line, cmd, setenv));
      }
    }
  }
}
