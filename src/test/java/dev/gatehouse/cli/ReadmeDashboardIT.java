package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.BrowserLibrary;
import dev.gatehouse.testing.DebianPackages;
import dev.gatehouse.testing.Processes;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * README's "Open the dashboard", run as written by a script with the real launcher and daemon,
 * and the browser part done by headless chromium as the section tells a person to.
 */
class ReadmeDashboardIT {
  @Test
  void theReadmeBlock_signsIn_approvesInTheBrowser_andTheProofVerifiesInThePage() throws Exception {
    BrowserLibrary.install();
    DebianPackages.require("oathtool", "oathtool");
    Process p = new ProcessBuilder("bash", "src/test/sh/readme-open-the-dashboard.sh").redirectErrorStream(true)
        .start();
    Processes.Output r = Processes.finish(p, Duration.ofMinutes(4), "readme-open-the-dashboard.sh");
    String output = r.out();
    assertThat(r.exit()).as(output).isZero();
    assertThat(output).contains("Confirmed: the TOTP key of user alice is active.")
        .contains("browser: Verified: entry").contains("audit log intact").contains("readme-open-the-dashboard: ok");
  }
}
