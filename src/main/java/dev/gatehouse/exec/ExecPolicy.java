package dev.gatehouse.exec;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.Globs;
import dev.gatehouse.config.Section;
import dev.gatehouse.config.YamlTree;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which commands the exec gate may run: {@code exec.yaml} in the (root-owned) home. Allow
 * rules name a program by absolute path and its arguments by globs; deny rules win over
 * allow rules; a command no allow rule matches is refused. No file means nothing is allowed.
 *
 * <pre>
 * allow:
 *   - { program: /usr/bin/systemctl, args: [restart, jellyfin] }
 *   - { program: /usr/bin/journalctl, args: [-u, "*", -n, "*"], sandbox: true }
 * deny:
 *   - { program: /usr/bin/systemctl, args: ["*", "ssh*"] }
 * </pre>
 *
 * Argument globs match one argument each, in order; {@code *} matches any run of
 * characters within it; a last glob {@code **} matches any number of remaining arguments
 * (including none). Programs are compared by real path, so {@code /bin/echo} and
 * {@code /usr/bin/echo} are the same program on a merged-/usr system.
 */
public final class ExecPolicy {
  public static final String FILE = "exec.yaml";

  /** One rule. */
  public record Rule(String program, List<String> args, boolean sandbox, int line) {
    public Rule {
      args = List.copyOf(args);
    }

    boolean matches(Path realProgram, List<String> arguments) {
      Path p;
      try {
        p = Path.of(program).toRealPath();
      } catch (IOException e) {
        return false;
      }
      return p.equals(realProgram) && argsMatch(args, 0, arguments, 0);
    }

    private static boolean argsMatch(List<String> globs, int gi, List<String> args, int ai) {
      if (gi == globs.size()) {
        return ai == args.size();
      }
      if (globs.get(gi).equals("**") && gi == globs.size() - 1) {
        return true;
      }
      return ai < args.size() && Globs.matchesName(globs.get(gi), args.get(ai)) && argsMatch(globs, gi + 1, args, ai + 1);
    }
  }

  /** What the policy says about one command. */
  public sealed interface Decision permits Allowed, Denied {}

  /** @param argv the command with its program resolved to a real absolute path */
  public record Allowed(List<String> argv, Rule rule) implements Decision {}

  public record Denied(String reason) implements Decision {}

  private final List<Rule> allow;
  private final List<Rule> deny;

  private ExecPolicy(List<Rule> allow, List<Rule> deny) {
    this.allow = List.copyOf(allow);
    this.deny = List.copyOf(deny);
  }

  public static ExecPolicy load(Path file) throws IOException {
    try {
      return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      return new ExecPolicy(List.of(), List.of());
    }
  }

  public static ExecPolicy parse(String file, String text) {
    YamlTree.Node root = YamlTree.parse(file, text);
    Section.root(file, root, "allow", "deny");
    return new ExecPolicy(rules(file, root, "allow"), rules(file, root, "deny"));
  }

  private static List<Rule> rules(String file, YamlTree.Node root, String key) {
    List<Rule> out = new ArrayList<>();
    YamlTree.Entry e = ((YamlTree.MapNode) root).entries().get(key);
    if (e == null || (e.value() instanceof YamlTree.Scalar s && s.text() == null)) {
      return out;
    }
    if (!(e.value() instanceof YamlTree.ListNode list)) {
      throw new ConfigException(file, e.keyLine(), key + " must be a list of { program: /abs/path, args: [...] }");
    }
    for (YamlTree.Node item : list.items()) {
      Section r = Section.root(file, item, "program", "args", "sandbox");
      String program = r.required("program", p -> p.startsWith("/") && !p.contains("/../") && !p.contains("*"),
          "an absolute path to the program, without globs");
      List<String> args = r.strings("args", a -> !a.contains("\0"), "an argument glob");
      for (int i = 0; i < args.size() - 1; i++) {
        if (args.get(i).equals("**")) {
          throw r.problem("args", "may use ** only as its last item");
        }
      }
      String sandbox = r.string("sandbox", "false", v -> v.equals("true") || v.equals("false"), "true or false");
      out.add(new Rule(program, args, sandbox.equals("true"), item.line()));
    }
    return out;
  }

  /**
   * Decides {@code argv}. The program is resolved first: an absolute path as given, a bare
   * name through {@link CommandRunner#PATH}; then its real path is compared with the rules'.
   */
  public Decision decide(List<String> argv) {
    if (argv.isEmpty()) {
      return new Denied("no command given");
    }
    Optional<Path> program = resolve(argv.get(0));
    if (program.isEmpty()) {
      return new Denied("no program " + argv.get(0) + " (looked in " + CommandRunner.PATH + ")");
    }
    List<String> args = argv.subList(1, argv.size());
    for (Rule r : deny) {
      if (r.matches(program.get(), args)) {
        return new Denied("a deny rule in " + FILE + " (line " + r.line() + ") matches it");
      }
    }
    for (Rule r : allow) {
      if (r.matches(program.get(), args)) {
        List<String> resolved = new ArrayList<>();
        resolved.add(program.get().toString());
        resolved.addAll(args);
        return new Allowed(resolved, r);
      }
    }
    return new Denied("no allow rule in " + FILE + " matches it");
  }

  static Optional<Path> resolve(String program) {
    List<Path> candidates = new ArrayList<>();
    if (program.startsWith("/")) {
      candidates.add(Path.of(program));
    } else if (!program.contains("/") && !program.isEmpty()) {
      for (String dir : CommandRunner.PATH.split(":")) {
        candidates.add(Path.of(dir, program));
      }
    }
    for (Path c : candidates) {
      if (Files.isRegularFile(c) && Files.isExecutable(c)) {
        try {
          return Optional.of(c.toRealPath());
        } catch (IOException e) {
          // next
        }
      }
    }
    return Optional.empty();
  }
}
