package dev.gatehouse.doctor;

import dev.gatehouse.exec.ExecPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;

/**
 * The exec gate as sudo reaches it: each sudoers command that runs Gatehouse must be the one
 * {@code gatehouse totp setup --print-sudoers USER} prints, and everything root then runs or
 * reads as policy must be out of every other user's reach, or the rule is root for them.
 */
final class ExecChecks {
  private ExecChecks() {}

  private static List<SudoersRules.Command> commands(Inspection in) throws NotChecked, IOException {
    return SudoersRules.read(in.settings().sudoersRoot());
  }

  /** exec.sudoers_too_broad: a Gatehouse sudoers command broader than the printed one. */
  static List<Finding> sudoersTooBroad(Inspection in) throws Exception {
    List<Finding> out = new ArrayList<>();
    for (SudoersRules.Command c : commands(in)) {
      String fix = "replace it with the one line `gatehouse totp setup --print-sudoers AGENT_USER` prints (`sudo visudo "
          + "-f " + c.file() + "`)";
      if (!SudoersRules.EXPECTED.matcher(c.text()).matches()) {
        out.add(Finding.critical("exec.sudoers_too_broad", c.where() + " lets sudo run `" + c.text() + "`: broader than "
            + "PROGRAM --home /ABSOLUTE/HOME exec *, with no wildcard before exec; any other subcommand, or another "
            + "--home, runs as root with a home the agent may control", fix));
      } else if (c.setenv()) {
        out.add(Finding.critical("exec.sudoers_too_broad", c.where() + " gives `" + c.text() + "` the SETENV tag: the "
            + "caller may set JAVA_TOOL_OPTIONS and the like, which run code as root", fix));
      }
    }
    return out;
  }

  /**
   * exec.sudoers_target_writable: a program, jar or launcher a Gatehouse sudoers command runs
   * (or a folder above it) that a user other than root can change: that user runs anything as
   * root. A launcher in a checkout also runs its {@code target/gatehouse.jar} and rebuilds it
   * from the checkout's sources, so those are checked too.
   */
  static List<Finding> sudoersTargetWritable(Inspection in) throws Exception {
    List<Finding> out = new ArrayList<>();
    for (SudoersRules.Command c : commands(in)) {
      Set<Path> targets = new LinkedHashSet<>();
      Matcher m = SudoersRules.EXPECTED.matcher(c.text());
      if (m.matches()) {
        targets.add(Path.of(m.group(1)));
        if (m.group(2) != null) {
          targets.add(Path.of(m.group(2)));
        }
      } else if (c.text().startsWith("/")) {
        targets.add(Path.of(c.text().split(" ")[0]));
      }
      for (Path t : List.copyOf(targets)) {
        Path checkout = t.getParent();
        if (checkout != null && Files.isRegularFile(checkout.resolve("pom.xml"))) {
          for (String part : List.of("target/gatehouse.jar", "pom.xml", "mvnw", ".mvn/find-jdk.sh", ".mvn/jvm-start.sh",
              "src/main")) {
            targets.add(checkout.resolve(part));
          }
        }
      }
      for (Path t : targets) {
        String why = Reach.writableByOthers(t);
        if (why != null) {
          out.add(Finding.critical("exec.sudoers_target_writable", c.where() + " runs " + t + " as root, and " + why
              + ": that user can run anything as root", "make " + t + " and every folder above it owned by root and "
              + "not group- or world-writable; install the jar under /usr/local/lib or /opt (docs/exec.md)"));
        }
      }
    }
    return out;
  }

  /**
   * exec.policy_writable_by_agent: the exec.yaml of a home a Gatehouse sudoers command names,
   * or a folder above it, writable by a user other than root: that user writes their own
   * allow rules for what root runs.
   */
  static List<Finding> policyWritableByAgent(Inspection in) throws Exception {
    List<Finding> out = new ArrayList<>();
    Set<Path> homes = new LinkedHashSet<>();
    for (SudoersRules.Command c : commands(in)) {
      Matcher m = SudoersRules.EXPECTED.matcher(c.text());
      if (m.matches()) {
        homes.add(Path.of(m.group(3)));
      }
    }
    for (Path home : homes) {
      Path policy = home.resolve(ExecPolicy.FILE);
      String why = Reach.writableByOthers(policy);
      if (why != null) {
        out.add(Finding.critical("exec.policy_writable_by_agent", "sudo runs Gatehouse as root with the policy " + policy
            + ", and " + why + ": that user can allow any command as root", "keep the exec home root's own: `chown -R "
            + "root:root " + home + "`, `chmod 700 " + home + "`, every folder above it root-owned (docs/exec.md)"));
      }
    }
    return out;
  }

  /** Who other than root could change a path. */
  static final class Reach {
    private Reach() {}

    /**
     * Null when only root can change {@code p}: the file (or, while it does not exist, the
     * nearest folder that does) and every folder above it, along the path as written and
     * along its real path. Else which of them another user can change, and how.
     */
    static String writableByOthers(Path p) throws IOException {
      Path abs = p.toAbsolutePath().normalize();
      String why = chain(abs);
      if (why != null) {
        return why;
      }
      Path existing = abs;
      while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
        existing = existing.getParent();
      }
      return existing == null ? null : chain(existing.toRealPath());
    }

    private static String chain(Path abs) throws IOException {
      List<Path> parts = new ArrayList<>();
      for (Path q = abs; q != null; q = q.getParent()) {
        parts.add(0, q);
      }
      Path last = null;
      for (Path q : parts) {
        if (Files.exists(q, LinkOption.NOFOLLOW_LINKS)) {
          last = q;
        }
      }
      for (Path q : parts) {
        if (!Files.exists(q, LinkOption.NOFOLLOW_LINKS)) {
          break;
        }
        int uid = (Integer) Files.getAttribute(q, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int gid = (Integer) Files.getAttribute(q, "unix:gid", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) Files.getAttribute(q, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        boolean link = Files.isSymbolicLink(q);
        if (uid != 0) {
          return q + " is owned by uid " + uid + " (" + Files.getOwner(q, LinkOption.NOFOLLOW_LINKS).getName() + ")";
        }
        if (link) {
          continue; // a link's own mode means nothing; its folder and its target are checked
        }
        boolean sticky = (mode & 01000) != 0 && !q.equals(last);
        if ((mode & 0002) != 0 && !sticky) {
          return q + " is writable by every user";
        }
        if ((mode & 0020) != 0 && gid != 0 && !sticky) {
          return q + " is writable by group gid " + gid;
        }
      }
      return null;
    }
  }
}
