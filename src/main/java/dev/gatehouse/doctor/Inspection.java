package dev.gatehouse.doctor;

import dev.gatehouse.Gatehouse;
import dev.gatehouse.config.Config;
import dev.gatehouse.error.GatehouseException;
import dev.gatehouse.store.Home;
import dev.gatehouse.vault.Credential;
import dev.gatehouse.vault.Vault;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * What the checks look at: the home's path and the world around it, and, opened on first use
 * and shared by every check of one run, the config and the home through the code that
 * serves it. The vault is unsealed only with a credential that needs no question (a password
 * file, or this machine's seal without a PIN); otherwise the checks that can read the vault's
 * header instead, and the others say they were not made.
 */
public final class Inspection implements AutoCloseable {
  /**
   * @param home the home's path (it may be missing or broken: that is what is checked)
   * @param userName the user running doctor (Home requires every file to be theirs)
   * @param sudoersRoot where {@code sudoers} and {@code sudoers.d/} are ({@code /etc})
   * @param keyFiles agent key files to check besides the ones {@code call} would use
   * @param disk free space of the file system holding a path
   * @param unlock the credential that opens the vault without asking anyone, or null
   */
  public record Settings(Path home, Clock clock, SecureRandom random, Map<String, String> env, String userHome,
      String userName, Path sudoersRoot, List<Path> keyFiles, Disk disk, Unlock unlock) {
    public Settings {
      env = Map.copyOf(env);
      keyFiles = List.copyOf(keyFiles);
    }
  }

  @FunctionalInterface
  public interface Disk {
    long usableBytes(Path dir) throws IOException;

    Disk REAL = dir -> Files.getFileStore(dir).getUsableSpace();
  }

  /** The credential for {@code vault} that needs no question, or null when there is none. */
  @FunctionalInterface
  public interface Unlock {
    Credential credential(Vault vault) throws IOException;
  }

  /** The vault's entries: verified when the vault could be unsealed, else as its header states them. */
  public record Entries(List<Vault.EntryInfo> list, boolean verified) {
    public boolean has(String name) {
      return list.stream().anyMatch(e -> e.name().equals(name));
    }

    /** Said after a finding drawn from an unverified header. */
    public String caveat() {
      return verified ? "" : " (read from the sealed vault's header, which only unsealing authenticates)";
    }
  }

  private final Settings s;
  private Config config;
  private Gatehouse opened;
  private String openFailure;
  private boolean unsealTried;
  private String unsealFailure;

  public Inspection(Settings settings) {
    this.s = settings;
  }

  public Settings settings() {
    return s;
  }

  public Path home() {
    return s.home();
  }

  public Path file(String name) {
    return s.home().resolve(name);
  }

  /**
   * Whether there is state to read: state.db exists (doctor never creates it, as opening it
   * would), or the config names a PostgreSQL database (read through {@link #stateHome}).
   */
  public boolean hasStateDb() throws NotChecked {
    return postgres() || Files.exists(file(dev.gatehouse.store.StateDb.FILE));
  }

  /** Whether {@code storage:} names PostgreSQL. */
  public boolean postgres() throws NotChecked {
    return config().storage().backend() == Config.Storage.Backend.POSTGRES;
  }

  /**
   * The home to read state through: as opened on embedded storage; unsealed on PostgreSQL,
   * whose password is in the vault (NotChecked when doctor cannot unseal it without asking).
   */
  public Gatehouse stateHome() throws NotChecked {
    return postgres() ? unsealed() : gatehouse();
  }

  /** {@code gatehouse.yaml}, loaded as the daemon loads it. */
  public Config config() throws NotChecked {
    if (config == null) {
      try {
        config = Config.load(file(Home.CONFIG_FILE));
      } catch (IOException | GatehouseException e) {
        throw new NotChecked(Home.CONFIG_FILE + " cannot be read (see config.invalid)", "fix config.invalid first");
      }
    }
    return config;
  }

  /** The home, opened as every command opens it (its modes and config checked). */
  public Gatehouse gatehouse() throws NotChecked {
    if (opened == null && openFailure == null) {
      try {
        opened = Gatehouse.open(s.home(), s.clock(), s.random());
      } catch (GatehouseException e) {
        openFailure = e.getMessage();
      }
    }
    if (opened == null) {
      throw new NotChecked("the home cannot be opened: " + openFailure, "fix the findings above, then run doctor again");
    }
    return opened;
  }

  /** The home with its vault unsealed; refuses (NotChecked) rather than ask for a password. */
  public Gatehouse unsealed() throws NotChecked {
    Gatehouse g = gatehouse();
    if (!unsealTried) {
      unsealTried = true;
      try {
        if (!g.localVault().exists()) {
          unsealFailure = "the home has no vault";
        } else {
          try (Credential c = s.unlock() == null ? null : s.unlock().credential(g.localVault())) {
            if (c == null) {
              unsealFailure = "the vault is sealed and doctor never asks for its password";
            } else {
              g.unseal(c, "cli:" + s.userName());
            }
          }
        }
      } catch (IOException | GatehouseException e) {
        g.vault().seal();
        unsealFailure = "the vault could not be unsealed (" + (e instanceof GatehouseException ? e.getMessage()
            : e.getClass().getSimpleName()) + ")";
      }
    }
    if (unsealFailure != null) {
      throw new NotChecked(unsealFailure, "give --password-file FILE (or run where the vault's machine seal opens it) "
          + "to include this check");
    }
    return g;
  }

  /**
   * The home with only its vault unsealed (no audit log opened): for a check that must work
   * when what unsealing opens next (the shared database's log) cannot be reached.
   */
  public Gatehouse vaultOnly() throws NotChecked {
    Gatehouse g = gatehouse();
    if (!g.localVault().sealed()) {
      return g;
    }
    try (Credential c = s.unlock() == null ? null : s.unlock().credential(g.localVault())) {
      if (c == null) {
        throw new NotChecked("the vault is sealed and doctor never asks for its password", "give --password-file FILE "
            + "(or run where the vault's machine seal opens it) to include this check");
      }
      g.localVault().unseal(c); // vault.gh: it holds the database password
      return g;
    } catch (IOException | GatehouseException e) {
      throw new NotChecked("the vault could not be unsealed (" + (e instanceof GatehouseException ? e.getMessage()
          : e.getClass().getSimpleName()) + ")", "give the right --password-file FILE");
    }
  }

  /**
   * The vault's entries, verified if the vault can be unsealed without asking, else from its
   * header; not checked when the vault is sealed and is the shared database's, which only the
   * unsealed vault.gh can reach.
   */
  public Entries entries() throws NotChecked, IOException {
    try {
      return new Entries(unsealed().vault().list(), true);
    } catch (NotChecked sealed) {
      if (gatehouse().vault() != gatehouse().localVault()) {
        throw sealed; // the shared vault is in the database, and vault.gh holds its password
      }
      Vault v = gatehouse().vault();
      if (!v.exists()) {
        throw new NotChecked("the home has no vault", "create it with `gatehouse init`");
      }
      try {
        return new Entries(v.listUnverified(), false);
      } catch (GatehouseException e) {
        throw new NotChecked("the vault file cannot be read: " + e.getMessage(), "see vault.unreadable");
      }
    }
  }

  @Override
  public void close() {
    if (opened != null) {
      opened.close();
    }
  }
}
