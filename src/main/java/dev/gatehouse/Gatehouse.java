package dev.gatehouse;

import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.config.Config;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.otp.FileAttemptStore;
import dev.gatehouse.otp.FileEnrollmentStore;
import dev.gatehouse.otp.TotpService;
import dev.gatehouse.store.Home;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;

/**
 * The composition root: the one place that knows which implementation stands behind each
 * interface. The CLI (and later the daemon) are faces over what this wires.
 */
public final class Gatehouse {
  public static final String TOTP_FILE = "totp.json";
  public static final String OTP_STATE_FILE = "otp-state.json";

  private final Home home;
  private final Config config;
  private final TotpService totp;

  private Gatehouse(Home home, Config config, Clock clock, SecureRandom random, AuditLog audit) {
    this.home = home;
    this.config = config;
    this.totp = new TotpService(
        new FileEnrollmentStore(home.file(TOTP_FILE)),
        new FileAttemptStore(home.file(OTP_STATE_FILE)),
        home.lock(), config.totp(), clock, random, audit);
  }

  /** Creates a new home at {@code dir} with the commented default config. */
  public static Home init(Path dir) {
    try {
      return Home.create(dir, Map.of(Home.CONFIG_FILE, Config.defaultFileContent()));
    } catch (IOException e) {
      throw new BadInputException("cannot create a home at " + dir + ": " + describe(e), e);
    }
  }

  /** Opens the home at {@code dir}: checks ownership and modes, then loads and validates the config. */
  public static Gatehouse open(Path dir, Clock clock, SecureRandom random) {
    try {
      Home home = Home.open(dir);
      Config config = Config.load(home.file(Home.CONFIG_FILE));
      return new Gatehouse(home, config, clock, random, AuditLog.discarding());
    } catch (IOException e) {
      throw new BadInputException("cannot open the home at " + dir + ": " + describe(e), e);
    }
  }

  public Home home() {
    return home;
  }

  public Config config() {
    return config;
  }

  public TotpService totp() {
    return totp;
  }

  private static String describe(IOException e) {
    return e instanceof java.nio.file.AccessDeniedException ? "permission denied on " + e.getMessage()
        : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
  }
}
