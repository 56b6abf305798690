package dev.gatehouse.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.doctor.Doctor;
import dev.gatehouse.doctor.Finding;
import dev.gatehouse.doctor.Inspection;
import dev.gatehouse.vault.Credential;
import dev.gatehouse.vault.Vault;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** What is wrong with this home and its surroundings, each finding with its fix (docs/doctor.md). */
@Command(name = "doctor", mixinStandardHelpOptions = true,
    description = {"Check the home, the vault, the audit log, the config, the sudoers rules of the exec gate and "
        + "(--deep) the running daemon; each finding has a stable id, a severity and its fix (docs/doctor.md).",
        "Never asks for the password: the vault is unsealed only with --password-file or this machine's seal; "
            + "otherwise the checks that need it say so. Exit 0 without a critical finding, else 1."})
final class DoctorCommand extends HomeCommand {
  @Option(names = "--json", description = "Print the findings as JSON: {\"home\", \"findings\": [{\"id\", "
      + "\"severity\", \"message\", \"fix\"}], \"changes\"}.")
  boolean json;

  @Option(names = "--fix", description = "Change what doctor is sure of (file modes; as root, owners: "
      + "to the home folder's owner), say each change, then check again.")
  boolean fix;

  @Option(names = "--deep", description = "Also ask the running daemon: GET /v1/health on the configured port, TLS 1.3 "
      + "actually offered, nothing answering beyond loopback when the config says loopback.")
  boolean deep;

  @Option(names = "--key-file", paramLabel = "PATH", description = "An agent key file to check too (repeatable).")
  List<Path> keyFiles = new ArrayList<>();

  /** Where sudoers and sudoers.d/ are; tests point it at their own. */
  @Option(names = "--sudoers-root", paramLabel = "DIR", hidden = true)
  Path sudoersRoot = Path.of("/etc");

  @Override
  Integer execute() throws Exception {
    Path home = homePath();
    CliEnvironment env = env();
    Inspection.Settings settings = new Inspection.Settings(home, env.clock(), env.random(), env.env(), env.userHome(),
        System.getProperty("user.name"), sudoersRoot, keyFiles, Inspection.Disk.REAL, this::credential);
    Doctor.Report report = Doctor.run(settings, fix, deep);
    if (json) {
      printJson(home, report);
    } else {
      printText(home, report);
    }
    return report.critical() ? ExitCodes.NO : ExitCodes.OK;
  }

  /** The credential that needs no question: the password file, else this machine's seal when it has no PIN. */
  private Credential credential(Vault vault) throws java.io.IOException {
    if (root().passwordFile != null) {
      return new Credential.Password(Secrets.readPasswordFile(root().passwordFile));
    }
    Credential.MachineSeal machine = Secrets.machineSeal(env(), new char[0]);
    if (machine != null && vault.sealedToThisMachine(machine) && !vault.machineSlotNeedsPin()) {
      return machine;
    }
    if (machine != null) {
      machine.close();
    }
    return null;
  }

  private void printJson(Path home, Doctor.Report report) throws Exception {
    var mapper = SafeText.json();
    ObjectNode root = mapper.createObjectNode();
    root.put("home", home.toString());
    ArrayNode findings = root.putArray("findings");
    for (Finding f : report.findings()) {
      findings.addObject().put("id", f.id()).put("severity", f.severity().wire()).put("message", f.message())
          .put("fix", f.fix());
    }
    ArrayNode changes = root.putArray("changes");
    report.changes().forEach(changes::add);
    out().println(mapper.writeValueAsString(root));
  }

  private void printText(Path home, Doctor.Report report) {
    out().println("Gatehouse doctor: " + SafeText.terminal(home.toString()));
    if (!report.changes().isEmpty()) {
      out().println("Changed (--fix):");
      report.changes().forEach(c -> out().println("  " + SafeText.terminal(c)));
    }
    Map<Finding.Severity, Integer> counts = new TreeMap<>();
    for (Finding f : report.findings()) {
      counts.merge(f.severity(), 1, Integer::sum);
      out().printf("%-8s %s%n", f.severity().name(), f.id());
      out().println("  " + SafeText.terminal(f.message()));
      out().println("  fix: " + SafeText.terminal(f.fix()));
    }
    out().println(report.findings().isEmpty() ? "No problems found."
        : counts.getOrDefault(Finding.Severity.CRITICAL, 0) + " critical, " + counts.getOrDefault(Finding.Severity.WARN,
        0) + " warn, " + counts.getOrDefault(Finding.Severity.INFO, 0) + " info.");
    out().flush();
  }
}
