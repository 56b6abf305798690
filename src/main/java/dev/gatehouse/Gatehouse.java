package dev.gatehouse;

import dev.gatehouse.audit.AuditEvent;
import dev.gatehouse.audit.AuditKeys;
import dev.gatehouse.audit.AuditLog;
import dev.gatehouse.audit.AuditVaultLedger;
import dev.gatehouse.audit.DeferredAuditLog;
import dev.gatehouse.audit.FileAuditLog;
import dev.gatehouse.audit.Redactor;
import dev.gatehouse.broker.AgentRegistry;
import dev.gatehouse.broker.Authenticator;
import dev.gatehouse.broker.Principal;
import dev.gatehouse.broker.Broker;
import dev.gatehouse.broker.Catalog;
import dev.gatehouse.broker.AgentUsage;
import dev.gatehouse.broker.AuditedNonces;
import dev.gatehouse.broker.Upstream;
import dev.gatehouse.exec.Approvals;
import dev.gatehouse.exec.CommandRunner;
import dev.gatehouse.exec.ExecGate;
import dev.gatehouse.exec.ExecPolicy;
import dev.gatehouse.guard.RateLimiter;
import dev.gatehouse.store.StateDb;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.error.RefusedException;
import dev.gatehouse.vault.VaultService;
import dev.gatehouse.config.Config;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.otp.FileAttemptStore;
import dev.gatehouse.otp.TotpService;
import dev.gatehouse.otp.VaultEnrollmentStore;
import dev.gatehouse.store.Home;
import dev.gatehouse.vault.Credential;
import dev.gatehouse.vault.KdfParams;
import dev.gatehouse.vault.Vault;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;

/**
 * The composition root: the one place that knows which implementation stands behind each
 * interface. The CLI (and later the daemon) are faces over what this wires.
 */
public final class Gatehouse implements AutoCloseable {
  public static final String VAULT_FILE = "vault.gh";
  /** Where homes made before the vault kept the TOTP key; moved into the vault on first use. */
  public static final String LEGACY_TOTP_FILE = "totp.json";
  public static final String OTP_STATE_FILE = "otp-state.json";

  public static final String AUDIT_DIR = "audit";
  public static final String PID_FILE = "serve.pid";

  private final Home home;
  private final Config config;
  private final Clock clock;
  private final SecureRandom random;
  private final Vault vault; // what every store uses: vault.gh, or the shared database's vault
  private final Vault localVault; // vault.gh; with storage postgres, it opens the database (its password)
  private final DeferredAuditLog audit = new DeferredAuditLog();
  private final TotpService totp;
  private dev.gatehouse.audit.HeldAuditLog auditLog;
  private AuditVaultLedger ledger;
  private Redactor redactor;
  private dev.gatehouse.notify.CheckpointWitness witness; // when audit.witness is configured
  private StateDb stateDb;
  private dev.gatehouse.store.PgPool pgPool; // guarded by this; on PostgreSQL, made on first use
  private final java.util.List<AgentUsage> usages = new java.util.ArrayList<>(); // guarded by this
  private final RateLimiter limiter;
  private volatile dev.gatehouse.notify.Notifier notifyTarget = dev.gatehouse.notify.Notifier.NONE;
  /** Sends through whatever {@link #notifyThrough} set last. */
  private final dev.gatehouse.notify.Notifier notifier = n -> notifyTarget.notify(n);
  /** What the audit log and the broker report to; {@link #startMetrics} points it at a registry. */
  private final dev.gatehouse.metrics.MetricsRelay metrics = new dev.gatehouse.metrics.MetricsRelay();
  private final dev.gatehouse.guard.InjectionScanner scanner = new dev.gatehouse.guard.InjectionScanner();
  private Authenticator authenticator; // guarded by this
  private dev.gatehouse.owner.OwnerAccounts ownerAccounts; // guarded by this
  /** Set only inside {@link #replaceDatabasePassword}: the checked password vault.gh is about to hold. */
  private volatile char[] replacingDatabasePassword;

  private Gatehouse(Home home, Config config, Clock clock, SecureRandom random) {
    this.home = home;
    this.config = config;
    this.clock = clock;
    this.random = random;
    this.localVault = new Vault(home.file(VAULT_FILE), random, clock);
    this.vault = config.storage().postgres().map(this::sharedVault).orElse(localVault);
    this.limiter = new RateLimiter(clock, 100_000);
    this.totp = new TotpService(new VaultEnrollmentStore(vault, home.file(LEGACY_TOTP_FILE)), totpAttempts(),
        config.totp(), clock, random, audit);
  }

  /**
   * The home TOTP's replay and lockout state: a file under the home lock on one host; on
   * PostgreSQL a row every replica locks (connected when first needed: the password is in the vault).
   */
  private dev.gatehouse.otp.AttemptStore totpAttempts() {
    if (config.storage().backend() == Config.Storage.Backend.EMBEDDED) {
      return dev.gatehouse.otp.AttemptStore.underLock(home.lock(), new FileAttemptStore(home.file(OTP_STATE_FILE)));
    }
    return new dev.gatehouse.otp.AttemptStore() {
      @Override
      public <T> T exclusive(Section<T> section) throws IOException {
        return dev.gatehouse.otp.PgAttemptStore.home((dev.gatehouse.store.PgStateDb) stateDb()).exclusive(section);
      }
    };
  }

  /**
   * Creates a home at {@code dir} with the commented default config and a vault opened by
   * {@code first}, and returns it with the vault unsealed. A home made before the vault
   * existed (config, no vault) gets its vault; anything else that exists is refused as it is.
   */
  public static Gatehouse init(Path dir, Credential first, KdfParams kdf, Clock clock, SecureRandom random) {
    try {
      boolean existingHome = Files.exists(dir.resolve(Home.CONFIG_FILE));
      if (!existingHome) {
        Home.create(dir, Map.of(Home.CONFIG_FILE, Config.defaultFileContent()));
      }
      Gatehouse g = open(dir, clock, random);
      if (g.vault.exists()) {
        throw new BadInputException("a Gatehouse home already exists at " + dir + "; nothing was changed");
      }
      g.vault.create(first, kdf);
      g.openAudit(defaultActor());
      g.attachLedger();
      g.audit.record(new AuditEvent("home.init", "cli:" + System.getProperty("user.name"), dir.toString(),
          "created", Map.of("vault_opens_with", first instanceof Credential.Password ? "password" : "machine")));
      g.trust().initializeNew(defaultActor()); // restrictive by default: every domain at 0 (DESIGN §10)
      return g;
    } catch (IOException e) {
      throw new BadInputException("cannot create a home at " + dir + ": " + describe(e), e);
    }
  }

  /** Opens the home at {@code dir}: checks ownership and modes, then loads and validates the config. */
  public static Gatehouse open(Path dir, Clock clock, SecureRandom random) {
    try {
      Home home = Home.open(dir);
      Config config = Config.load(home.file(Home.CONFIG_FILE));
      return new Gatehouse(home, config, clock, random);
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

  public Vault vault() {
    return vault;
  }

  /**
   * The vault this home opens first, {@code vault.gh}: the same as {@link #vault} on the
   * embedded backend; with {@code storage: backend: postgres}, this replica's own, which holds
   * the database's password (and this machine's slot), while {@link #vault} is the shared one.
   */
  public Vault localVault() {
    return localVault;
  }

  /**
   * Unseals {@code vault.gh}, then, with the shared vault, that one with the same credential
   * (the master password, or this machine's own slot in it). A database without a vault yet
   * gets a copy of this home's (docs/storage.md, "The vault on PostgreSQL").
   */
  private void unsealVaults(Credential credential) throws IOException {
    if (vault == localVault) {
      vault.unseal(credential);
      return;
    }
    localVault.unseal(credential);
    unsealShared(credential);
  }

  /**
   * With vault.gh unsealed: unseals the shared vault, or seals vault.gh again (both open, or
   * neither). By vault.gh's master key when the shared vault was copied from it (every replica
   * made from one home): whatever opened vault.gh (its password, its machine slot, with or
   * without a PIN) opens the shared vault too. Else by {@code credential}, through the shared
   * vault's own slots.
   */
  private void unsealShared(Credential credential) throws IOException {
    try {
      if (!vault.exists()) {
        vault.createFrom(localVault);
      }
      if (!vault.unsealWith(localVault)) {
        vault.unseal(credential);
      }
    } catch (IOException | RuntimeException e) {
      localVault.seal();
      throw e;
    }
  }

  /**
   * Unseals the vault with {@code credential}, opens the audit log (whose keys it holds), and
   * checks the vault file against the generations the log recorded: an older copy of
   * {@code vault.gh} is refused (RefusedException) and the vault sealed again. Every later
   * write and re-read of the vault goes through the same log.
   */
  public void unseal(Credential credential) throws IOException {
    unseal(credential, defaultActor());
  }

  /** {@link #unseal(Credential)}, naming {@code actor} in the vault's generation records. */
  public void unseal(Credential credential, String actor) throws IOException {
    unsealVaults(credential);
    openAudit(actor);
    attachLedger();
  }

  /**
   * For {@code vault accept-rollback}: unseals and opens the audit log without the rollback
   * check, and says how the file in place stands against the log. Nothing is recorded and
   * nothing else may be done until {@link #acceptPresentVault} (or the home is closed).
   */
  public AuditVaultLedger.Standing unsealForInspection(Credential credential, String actor) throws IOException {
    unsealVaults(credential);
    openAudit(actor);
    return ledger.standing(vault.unchecked());
  }

  /** After {@link #unsealForInspection}: records {@code owner}'s acceptance of {@code shown} as current. */
  public void acceptPresentVault(dev.gatehouse.vault.VaultVersion shown, String owner) throws IOException {
    vault.attachAccepting(ledger, shown, owner);
    audit.open(auditLog);
  }

  /** After {@link #unsealForInspection}: the opening's usual check, as {@link #unseal} makes it. */
  public void finishInspection() throws IOException {
    attachLedger();
  }

  /**
   * The audit log is the ledger of the vault every store uses: vault.gh on one host; on
   * PostgreSQL the shared vault, whose generations the shared log records (each replica's own
   * vault.gh only opens the database, and is ledgered nowhere: see docs/storage.md).
   */
  private void attachLedger() throws IOException {
    vault.attach(ledger);
    audit.open(auditLog); // nothing is recorded for a vault the log refuses
  }

  private static String defaultActor() {
    return "cli:" + System.getProperty("user.name");
  }

  private void openAudit(String actor) throws IOException {
    Path dir = home.file(AUDIT_DIR);
    if (config.storage().backend() == Config.Storage.Backend.EMBEDDED && !vault.contains(AuditKeys.SIGNING_ENTRY)
        && !FileAuditLog.segments(dir).isEmpty()) {
      vault.seal(); // its keys would be made anew, and the log's history orphaned
      localVault.seal();
      throw new RefusedException("vault.gh has no audit keys, but the audit log in " + dir + " exists: this vault "
          + "is older than the log (an older copy of itself); refusing to use it. Put the newer vault.gh back");
    }
    AuditKeys keys = AuditKeys.loadOrCreate(vault, random); // on PostgreSQL the shared vault's: one key for one log
    redactor = new Redactor(keys.redactionKey(), java.util.List.of());
    // Every image this replica reads or writes, whoever wrote it, teaches redaction its values
    // before any lookup answers from it: the current one now, newer ones as they are seen
    // (with the shared vault, this home's vault.gh too: the database's password is there).
    for (Vault v : vault == localVault ? java.util.List.of(vault) : java.util.List.of(vault, localVault)) {
      v.watchValues(AuditKeys.redaction(redactor), dev.gatehouse.vault.SecretAccess.get());
    }
    auditLog = config.storage().backend() == Config.Storage.Backend.EMBEDDED
        ? FileAuditLog.open(dir, clock, redactor, keys.verifier(), keys.signingKey(), config.audit(), metrics)
        : openPostgresAudit(keys);
    if (config.witness().isPresent()) {
      if (witness != null) {
        witness.close();
      }
      witness = dev.gatehouse.notify.CheckpointWitness.start(config.witness().get(), home.dir(), witnessClient(),
          System.getenv(), auditLog);
      auditLog.onCheckpoint(witness);
    }
    ledger = new AuditVaultLedger(auditLog, actor, vault.storage().name());
  }

  /** The audit log every replica appends to, in the shared database (docs/storage.md). */
  private dev.gatehouse.audit.PgAuditLog openPostgresAudit(AuditKeys keys) throws IOException {
    return dev.gatehouse.audit.PgAuditLog.open(database(config.storage().postgres().orElseThrow()).connector(), clock,
        redactor, keys.verifier(), keys.signingKey(), config.audit(), metrics);
  }

  /** A webhook witness's client: the upstream client's POST, through the egress guard. */
  private dev.gatehouse.notify.WebhookClient witnessClient() {
    if (!(config.witness().get() instanceof Config.WebhookWitness)) {
      return (url, allow, headers, body, timeout) -> {
        throw new IllegalStateException("not a webhook witness");
      };
    }
    return new dev.gatehouse.http.GuardedUpstream(new dev.gatehouse.guard.EgressGuard(
        dev.gatehouse.guard.HostResolver.system()))::post;
  }

  /** Where every decision is recorded; refuses until the vault is unsealed. */
  public AuditLog audit() {
    return audit;
  }

  /** The open audit log (after {@link #unseal}): the home's files, or the shared database. */
  public dev.gatehouse.audit.HeldAuditLog auditLog() {
    if (auditLog == null) {
      throw new RefusedException("the vault is sealed");
    }
    return auditLog;
  }

  public Redactor redactor() {
    auditLog();
    return redactor;
  }

  /** The owner's vault operations, audited. */
  public VaultService vaultService() {
    return new VaultService(vault, audit);
  }

  /**
   * The relational state, opened on first use: {@code state.db} in the home, or the shared
   * PostgreSQL database of {@code storage:} (whose password is a vault entry, so the vault
   * must be unsealed first).
   */
  public synchronized StateDb stateDb() throws IOException {
    if (stateDb == null) {
      stateDb = switch (config.storage().backend()) {
        case EMBEDDED -> StateDb.open(home.file(StateDb.FILE));
        case POSTGRES -> openPostgres(config.storage().postgres().orElseThrow());
      };
      if (config.storage().backend() == Config.Storage.Backend.POSTGRES) {
        // A database no home has used yet starts restrictive, as `gatehouse init` starts a home
        // (never as a legacy home, whose catalog's domains serve would raise to full); a no-op
        // once any replica did it, or once a home's levels were moved in.
        trust().initializeNew(defaultActor());
      }
    }
    return stateDb;
  }

  /**
   * Connects to the PostgreSQL database {@code db} (its schema brought up to date), the
   * password read from this home's vault: the home's own shared state, or a target to move it to.
   */
  public dev.gatehouse.store.PgStateDb openPostgres(Config.Storage.Postgres db) throws IOException {
    return dev.gatehouse.store.PgStateDb.open(database(db).connector());
  }

  /**
   * For {@code gatehouse migrate}: one transaction on the database {@code db} (its schema
   * brought up to date first), holding the vault's, the state's and the audit log's locks until
   * it ends, so that every replica's writer of them waits for its outcome. All are taken before
   * any work, in that order, the order in which a replica nests them (a vault change is recorded
   * in the audit log under the vault's lock), so that waiting for them deadlocks with no replica.
   */
  public dev.gatehouse.store.PgTransaction beginMigration(Config.Storage.Postgres db) throws IOException {
    return dev.gatehouse.store.PgTransaction.begin(database(db).connector(), dev.gatehouse.vault.PgVaultStorage.LOCK,
        dev.gatehouse.store.PgStateDb.STATE_LOCK, dev.gatehouse.audit.PgAuditLog.AUDIT_LOCK);
  }

  /**
   * For {@code gatehouse migrate}: copies this home's audit log (a checkpoint signed first, so
   * it covers every entry) into the empty database log inside the transaction {@code t}, byte
   * for byte, verified there. Nothing is committed.
   */
  public dev.gatehouse.audit.AuditMigration.Moved copyAuditTo(dev.gatehouse.store.PgTransaction t)
      throws IOException, java.sql.SQLException {
    dev.gatehouse.audit.HeldAuditLog log = auditLog();
    log.checkpoint();
    return dev.gatehouse.audit.AuditMigration.copy(home.file(AUDIT_DIR),
        dev.gatehouse.audit.AuditVerifier.verifierKey(home.file(AUDIT_DIR)), t.connection());
  }

  /**
   * For {@code gatehouse migrate}: copies this home's vault (unsealed) into the empty shared
   * vault of {@code db} inside the transaction {@code t}, read back there byte for byte.
   * Nothing is committed; refused if the database holds a vault.
   */
  public void copyVaultTo(Config.Storage.Postgres db, dev.gatehouse.store.PgTransaction t)
      throws IOException, java.sql.SQLException {
    Vault target = new Vault(dev.gatehouse.vault.PgVaultStorage.joining(db.jdbcUrl(), t.connection()), random, clock);
    if (!target.createFrom(vault)) {
      throw new RefusedException("the database already holds a vault; migrate moves a home into an empty one");
    }
  }

  /**
   * For {@code gatehouse migrate} run again on a database an earlier run committed to and then
   * stopped before it could change gatehouse.yaml: whether {@code db} holds this home exactly, as
   * that run moved it: every state table equal, the vault's image byte for byte, and its audit
   * log this home's first entries. If so, the entries this home recorded since are appended
   * there, verified, inside {@code t} (nothing is committed); if not, nothing is written.
   */
  public java.util.Optional<dev.gatehouse.audit.AuditMigration.Moved> resumeMoveIn(Config.Storage.Postgres db,
      dev.gatehouse.store.PgTransaction t) throws IOException, java.sql.SQLException {
    java.sql.Connection c = t.connection();
    if (!dev.gatehouse.store.StateMigration.same(stateDb(), c)) {
      return java.util.Optional.empty();
    }
    dev.gatehouse.vault.PgVaultStorage there = dev.gatehouse.vault.PgVaultStorage.joining(db.jdbcUrl(), c);
    if (!there.exists() || !java.util.Arrays.equals(there.read(), vault.storage().read())) {
      return java.util.Optional.empty();
    }
    return dev.gatehouse.audit.AuditMigration.resume(home.file(AUDIT_DIR),
        dev.gatehouse.audit.AuditVerifier.verifierKey(home.file(AUDIT_DIR)), c);
  }

  /** The shared vault {@code db} holds (sealed; the home's own with postgres, and {@code migrate}'s target). */
  public Vault sharedVault(Config.Storage.Postgres db) {
    return new Vault(new dev.gatehouse.vault.PgVaultStorage(database(db).connector()), random, clock);
  }

  /** The database {@code db} as this home reaches it: its password read from vault.gh. */
  private SharedDatabase database(Config.Storage.Postgres db) {
    return new SharedDatabase(db, localVault, () -> replacingDatabasePassword,
        config.storage().backend() == Config.Storage.Backend.POSTGRES ? "`gatehouse storage password`"
            : "`gatehouse vault add " + db.passwordSecret() + "`");
  }

  /**
   * For {@code gatehouse storage password}: makes {@code password} the database role's password
   * this replica connects with, the entry {@code storage.password_secret} of its {@code vault.gh}
   * (added or replaced). Refused, with nothing changed, unless it logs in to the configured
   * database (its role, TLS as configured). The change is then recorded in the shared audit
   * log (reached with the new password) before {@code vault.gh} is written; the value reaches
   * no entry and no message. Only {@code vault.gh} must open with {@code credential} before the
   * check, since the password it holds may no longer be the role's. Leaves the home unsealed.
   *
   * @return whether an entry was replaced (false: added)
   */
  public boolean replaceDatabasePassword(Credential credential, char[] password, String actor) throws IOException {
    Config.Storage.Postgres db = config.storage().postgres().orElseThrow(() -> new NotConfiguredException(
        "this home's storage is embedded: no database password to change; a secret in vault.gh is changed "
            + "with `gatehouse vault add --replace NAME`"));
    if (password.length == 0) {
      throw new BadInputException("the new password is empty");
    }
    localVault.unseal(credential);
    database(db).check(password);
    replacingDatabasePassword = password.clone();
    try {
      unsealShared(credential);
      openAudit(actor);
      attachLedger();
      boolean replaced = localVault.contains(db.passwordSecret());
      String value = new String(password);
      redactor.addSecret(value);
      audit.record(new AuditEvent("storage.password", actor, db.passwordSecret(), replaced ? "replaced" : "added",
          Map.of("vault", VAULT_FILE, "url", db.jdbcUrl(), "user", db.user())));
      byte[] bytes = value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      try {
        localVault.put(db.passwordSecret(), bytes, true);
      } finally {
        java.util.Arrays.fill(bytes, (byte) 0);
      }
      return replaced;
    } finally {
      java.util.Arrays.fill(replacingDatabasePassword, '\0');
      replacingDatabasePassword = null;
    }
  }

  /** Agents and their keys (in the vault), changes audited. */
  public AgentRegistry agents() {
    return new AgentRegistry(vault, audit, clock, random, config.server().rotateOverlap());
  }

  /** Loads and validates {@code services/*.yaml}; every secret they name must be in the vault. */
  public Catalog loadCatalog() throws IOException {
    return Catalog.load(home.file(Catalog.DIR), name -> {
      try {
        return vault.contains(name);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  /** Chat channels' adapter keys (in the vault), changes audited. */
  public AgentRegistry channels() {
    return new AgentRegistry(Principal.Kind.CHANNEL, vault, audit, clock, random, config.server().rotateOverlap());
  }

  /**
   * The signature, freshness and replay checks every signed endpoint shares: one replay memory
   * and one rate limiter for the home, whichever endpoint a request is for.
   */
  public synchronized Authenticator authenticator() throws IOException {
    if (authenticator == null) {
      try {
        stateDb().checkpointInBackground(Duration.ofSeconds(1)); // no call waits for SQLite's fsync
      } catch (java.sql.SQLException e) {
        throw new IOException(home.file(StateDb.FILE) + " cannot be opened a second time: " + e.getMessage(), e);
      }
      AgentUsage usage = new AgentUsage(stateDb());
      usages.add(usage);
      authenticator = new Authenticator(agents(), channels(), replayRecord(), usage, limiter,
          config.limits().perSource(), clock);
    }
    return authenticator;
  }

  /**
   * The replay record: on one host, in memory and rebuilt from the audit log; on PostgreSQL,
   * a table every replica shares, so a request replayed to another replica is refused too.
   */
  private dev.gatehouse.broker.NonceStore replayRecord() throws IOException {
    if (config.storage().backend() == Config.Storage.Backend.POSTGRES) {
      return dev.gatehouse.broker.PgNonces.open(pgPool(), clock, Broker.NONCE_KEEP);
    }
    Path auditDir = home.file(AUDIT_DIR);
    try {
      AuditedNonces nonces = AuditedNonces.rebuilt(audit, Broker.NONCE_KEEP, auditDir, clock.instant());
      nonces.rememberLegacy(stateDb(), clock.instant());
      return nonces;
    } catch (IOException | java.sql.SQLException e) {
      throw new IOException("the replay record cannot be rebuilt from " + auditDir + ": " + e.getMessage(), e);
    }
  }

  /** The pool of connections for state many request threads write at once (replay nonces), made on first use. */
  private synchronized dev.gatehouse.store.PgPool pgPool() throws IOException {
    if (pgPool == null) {
      pgPool = new dev.gatehouse.store.PgPool(database(config.storage().postgres().orElseThrow()).connector(),
          PG_POOL_SIZE, PG_BORROW_TIMEOUT);
    }
    return pgPool;
  }

  static final int PG_POOL_SIZE = 4;
  static final Duration PG_BORROW_TIMEOUT = Duration.ofSeconds(2);

  /**
   * Owner-plane accounts and sessions in {@code state.db}, each user's TOTP key in the vault;
   * passwords hashed with the Argon2id parameters of the vault's own slot. One per home, as
   * its login limit per address must be.
   */
  public synchronized dev.gatehouse.owner.OwnerAccounts ownerAccounts() throws IOException {
    if (ownerAccounts == null) {
      Map<String, KdfParams> slots = vault.status().kdf();
      KdfParams kdf = slots.getOrDefault("password", slots.getOrDefault("machine", KdfParams.DEFAULT));
      ownerAccounts = new dev.gatehouse.owner.OwnerAccounts(new dev.gatehouse.owner.OwnerAccounts.Parts(stateDb(),
          vault, audit, home.lock(), config.totp(), limiter, new dev.gatehouse.owner.PasswordHash(kdf, random),
          clock, random));
    }
    return ownerAccounts;
  }

  /** Trust levels, the approvals queue and owner notifications, as the broker uses them. */
  public Broker.TrustParts trustParts() throws IOException {
    dev.gatehouse.trust.TrustStore trust = trust();
    return new Broker.TrustParts(trust, approvals(trust, notifier), notifier);
  }

  /**
   * Where the owner is told (DESIGN §10): {@code serve} sets the running notification service;
   * every store made by this composition sends through it, whenever it is set.
   */
  public void notifyThrough(dev.gatehouse.notify.Notifier target) {
    this.notifyTarget = target;
  }

  /** The broker over the given catalog holder, sending through {@code upstream}. */
  public Broker broker(AtomicReference<Catalog> catalog, Upstream upstream) throws IOException {
    Config.Limits l = config.limits();
    return new Broker(authenticator(), catalog, audit, upstream, new Broker.RateLimits(l.perAgent(),
        l.perAction()), scanner, trustParts(), clock, metrics);
  }

  /**
   * The metrics {@code /metrics} shows (docs/metrics.md), from now on fed by this home's audit
   * log and brokers: actions labelled as {@code catalog} holds them at each call, gauges read
   * when scraped.
   */
  public dev.gatehouse.metrics.MicrometerMetrics startMetrics(AtomicReference<Catalog> catalog) throws IOException {
    dev.gatehouse.trust.ActionApprovalsStore approvals = approvals(trust(), notifier);
    var m = new dev.gatehouse.metrics.MicrometerMetrics(name -> catalog.get().action(name).isPresent(),
        java.util.Arrays.stream(dev.gatehouse.broker.Problem.Kind.values()).map(k -> k.slug)
            .collect(java.util.stream.Collectors.toSet()),
        new dev.gatehouse.metrics.MicrometerMetrics.Gauges(() -> vault.sealed() ? 1 : 0,
            () -> approvals.list().stream().filter(a -> a.status() == dev.gatehouse.trust.ActionApprovals.Status.PENDING
                && a.expires().isAfter(clock.instant())).count(),
            () -> {
              java.time.Instant until = totp.status().lockedUntil();
              return until != null && until.isAfter(clock.instant()) ? 1 : 0;
            }));
    metrics.to(m);
    return m;
  }

  /** What this home's audit log and brokers report to (for a producer wired outside, such as the lockout watch). */
  public dev.gatehouse.metrics.Metrics metrics() {
    return metrics;
  }

  /** The privileged-exec gate over {@code exec.yaml}, the TOTP core and {@code state.db}. */
  public ExecGate execGate() throws IOException {
    return new ExecGate(ExecPolicy.load(home.file(ExecPolicy.FILE)), totp,
        new Approvals(stateDb(), random, Duration.ofSeconds(120)), new CommandRunner(), audit, clock);
  }

  /** The chat gate over pairing, the TOTP core and {@code chat:} of the config (sessions in memory). */
  public dev.gatehouse.chat.ChatGate chatGate() throws IOException {
    return new dev.gatehouse.chat.ChatGate(pairing(), totp, scanner, audit, clock, config::chat, notifier);
  }

  /** Chat sender pairing in {@code state.db}, changes audited. */
  public dev.gatehouse.chat.PairingStore pairing() throws IOException {
    return new dev.gatehouse.chat.PairingStore(stateDb(), audit, clock, random);
  }

  /** Trust levels per domain in {@code state.db}, changes audited. */
  public dev.gatehouse.trust.TrustStore trust() throws IOException {
    return new dev.gatehouse.trust.TrustStore(stateDb(), audit, notifier, clock, config.trust());
  }

  /** The owner's approvals queue in {@code state.db}; denials go to {@code trust} as evidence, new approvals to {@code notifier}. */
  public dev.gatehouse.trust.ActionApprovalsStore approvals(dev.gatehouse.trust.Trust trust,
      dev.gatehouse.notify.Notifier notifier) throws IOException {
    return new dev.gatehouse.trust.ActionApprovalsStore(stateDb(), audit, trust, notifier, totp, clock, random,
        config::trust);
  }

  /** What the owner plane can see and do over this home's stores (the API and the dashboard share it). */
  public dev.gatehouse.owner.OwnerOperations ownerOperations(AtomicReference<Catalog> catalog,
      dev.gatehouse.owner.OwnerUsers users) throws IOException {
    dev.gatehouse.trust.TrustStore trust = trust();
    return new dev.gatehouse.owner.OwnerOperations(new dev.gatehouse.owner.OwnerOperations.Parts(vault, totp,
        approvals(trust, notifier), pairing(), trust, agents(), channels(), catalog, this::loadCatalog, audit,
        home.file(AUDIT_DIR), seq -> auditLog().evidence(seq), users, clock));
  }

  /**
   * Starts the Telegram bridge of {@code chat.telegram} over {@code gate} (empty when that
   * section is absent); it polls until closed, which must happen before this home is closed.
   */
  public java.util.Optional<Polling> startTelegramBridge(dev.gatehouse.chat.Gate gate) throws IOException {
    var telegram = config.chat().telegram();
    if (telegram.isEmpty()) {
      return java.util.Optional.empty();
    }
    if (config.storage().backend() == Config.Storage.Backend.EMBEDDED) {
      return java.util.Optional.of(dev.gatehouse.chat.telegram.TelegramBridge.start(telegram.get(), gate, vault,
          home.dir())::close);
    }
    // Several replicas: only the one holding the chat lock polls (Telegram allows one poller per bot).
    dev.gatehouse.chat.telegram.TelegramBridge.check(telegram.get(), vault); // a bad setting is told now, not when elected
    AtomicReference<dev.gatehouse.chat.telegram.TelegramBridge> running = new AtomicReference<>();
    dev.gatehouse.store.PgLeader.Role role = new dev.gatehouse.store.PgLeader.Role() {
      @Override
      public void elected() {
        try {
          running.set(dev.gatehouse.chat.telegram.TelegramBridge.start(telegram.get(), gate, vault, home.dir()));
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }

      @Override
      public void deposed() {
        var bridge = running.getAndSet(null);
        if (bridge != null) {
          bridge.close();
        }
      }
    };
    dev.gatehouse.store.PgLeader leader = dev.gatehouse.store.PgLeader.start(
        database(config.storage().postgres().orElseThrow()).connector(), CHAT_LOCK, LEADER_CHECK, role, "telegram");
    return java.util.Optional.of(leader::close);
  }

  /** The advisory lock whose holder polls the chat service: "gh-chat" in ASCII. */
  static final long CHAT_LOCK = 0x67682d63686174L;
  /** How often a replica tries to take the chat lock, and a leader checks it still holds it. */
  static final Duration LEADER_CHECK = Duration.ofSeconds(2);

  /** Something running until closed, such as the chat bridge. */
  public interface Polling extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Starts delivering owner notifications to the sinks of {@code notify:}, webhooks POSTed
   * through {@code webhooks} (the upstream client's {@code GuardedUpstream::post}, so they pass
   * the egress guard). Close it before this home.
   */
  public dev.gatehouse.notify.NotificationService startNotifications(dev.gatehouse.notify.WebhookClient webhooks)
      throws IOException {
    var telegram = config.chat().telegram();
    return dev.gatehouse.notify.NotificationService.start(config.notifications(),
        new dev.gatehouse.notify.NotificationService.Resources(webhooks, this::secretBytes, telegram.isEmpty() ? null
            : () -> dev.gatehouse.chat.telegram.TelegramBridge.notificationSender(telegram.get(), vault),
            System.getenv()), audit);
  }

  private java.util.Optional<byte[]> secretBytes(String name) throws IOException {
    try (var v = vault.reveal(name, dev.gatehouse.vault.SecretAccess.get()).orElse(null)) {
      return v == null ? java.util.Optional.empty() : java.util.Optional.of(v.bytes(dev.gatehouse.vault.SecretAccess.get()));
    }
  }

  /** Writes a final audit checkpoint, closes state.db and seals the vault. */
  @Override
  public void close() {
    try {
      if (auditLog != null) {
        auditLog.close();
      }
    } finally {
      if (witness != null) {
        witness.close(); // after the log's final checkpoint, which it delivers (or records it could not)
        witness = null;
        if (auditLog != null) {
          try {
            auditLog.close(); // writes that record, under a checkpoint of its own (not witnessed: closed)
          } catch (RuntimeException e) {
            // only the witness's record is lost; a failure of the log itself was thrown by the first close
          }
        }
      }
      synchronized (this) {
        usages.forEach(AgentUsage::close); // the last uses noted go in before state.db closes
        usages.clear();
        authenticator = null;
        ownerAccounts = null;
        if (stateDb != null) {
          stateDb.close();
          stateDb = null;
        }
        if (pgPool != null) {
          pgPool.close();
          pgPool = null;
        }
      }
      vault.seal();
      localVault.seal();
      if (vault.storage() instanceof dev.gatehouse.vault.PgVaultStorage shared) {
        shared.close();
      }
    }
  }

  public TotpService totp() {
    return totp;
  }

  private static String describe(IOException e) {
    return e instanceof java.nio.file.AccessDeniedException ? "permission denied on " + e.getMessage()
        : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
  }
}
