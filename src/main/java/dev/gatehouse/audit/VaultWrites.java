package dev.gatehouse.audit;

import dev.gatehouse.vault.VaultVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the audit log knows of the vault's generations, folded from its {@value #TYPE}
 * entries in order: the generation last known to be in place ({@code current}), one a write
 * announced after it ({@code pending}), either null, and the highest generation any entry
 * ever named ({@code highest}, -1 for none; a new write goes above it, so a file from a line
 * of history an owner discarded is never taken for a newer one). The signed checkpoint states it
 * for its tree size ({@link #extensions}), so an opening reads only the entries after the
 * checkpoint; {@code audit verify} recomputes it from the entries and compares.
 */
public record VaultWrites(VaultVersion current, VaultVersion pending, long highest) {
  public static final String TYPE = "vault.write";
  public static final VaultWrites NONE = new VaultWrites(null, null, -1);

  /** A write is about to make this generation (recorded before the rename). */
  public static final String INTENDED = "intended";
  /** The intended generation is in place (after the rename, or seen there by a later opening). */
  public static final String COMMITTED = "committed";
  /** An opening found the file before the intended one: the write never reached its rename. */
  public static final String ABANDONED = "abandoned";
  /** An opening found a generation newer than all the log knew (made before the log existed). */
  public static final String ADOPTED = "adopted";
  /** The home's owner accepted an older (or different) file as current. */
  public static final String ACCEPTED = "accepted";

  static final String GENERATION = "generation";
  static final String SHA256 = "sha256";
  private static final String EXT_CURRENT = "gatehouse.vault ";
  private static final String EXT_PENDING = "gatehouse.vault-pending ";
  private static final String EXT_HIGHEST = "gatehouse.vault-highest ";

  public VaultWrites {
    if (highest < Math.max(current == null ? -1 : current.generation(), pending == null ? -1 : pending.generation())) {
      throw new IllegalArgumentException("the highest generation is below one named");
    }
  }

  /** How a vault file stands against what the log knows. */
  public enum Verdict {
    /** The current generation. */
    CURRENT(true),
    /** The pending generation: its write reached the rename. */
    COMPLETED(true),
    /** The current generation while one is pending: that write never reached its rename. */
    NOT_CARRIED_OUT(true),
    /** Newer than every generation the log knows. */
    NEWER(true),
    /** Older than the newest generation the log knows: an older copy put in place. */
    ROLLED_BACK(false),
    /** A generation the log knows, but not this file of it. */
    DIFFERENT(false);

    public final boolean admitted;

    Verdict(boolean admitted) {
      this.admitted = admitted;
    }
  }

  public Verdict judge(VaultVersion present) {
    if (pending != null && present.equals(pending)) {
      return Verdict.COMPLETED;
    }
    if (current != null && present.equals(current)) {
      return pending == null ? Verdict.CURRENT : Verdict.NOT_CARRIED_OUT;
    }
    if (present.generation() > highest) {
      return Verdict.NEWER;
    }
    return present.generation() < newestGeneration() ? Verdict.ROLLED_BACK : Verdict.DIFFERENT;
  }

  /** The highest generation the log names; -1 when it names none. */
  public long newestGeneration() {
    return Math.max(current == null ? -1 : current.generation(), pending == null ? -1 : pending.generation());
  }

  /** The generation a write from {@code from} makes: above {@code from} and every generation named. */
  public long generationAfter(VaultVersion from) {
    return Math.max(from == null ? 0 : from.generation(), highest) + 1;
  }

  /** This state after one entry (entries of other types, and malformed ones, change nothing). */
  VaultWrites apply(String type, String outcome, Map<String, String> details) {
    if (!TYPE.equals(type)) {
      return this;
    }
    VaultVersion v = version(details);
    if (v == null) {
      return this;
    }
    long top = Math.max(highest, v.generation());
    return switch (outcome) {
      case INTENDED -> new VaultWrites(current, v, top);
      case COMMITTED -> new VaultWrites(v, v.equals(pending) ? null : pending, top);
      case ABANDONED -> new VaultWrites(current, v.equals(pending) ? null : pending, top);
      case ADOPTED, ACCEPTED -> new VaultWrites(v, null, top);
      default -> this;
    };
  }

  /** The details that name {@code v} in an entry. */
  static Map<String, String> details(VaultVersion v) {
    return Map.of(GENERATION, Long.toString(v.generation()), SHA256, v.sha256());
  }

  private static VaultVersion version(Map<String, String> details) {
    String g = details.get(GENERATION);
    String h = details.get(SHA256);
    if (g == null || h == null || !g.matches("0|[1-9][0-9]{0,17}")) {
      return null;
    }
    try {
      return new VaultVersion(Long.parseLong(g), h);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** The checkpoint extension lines that state this (none when the log knows no generation). */
  public List<String> extensions() {
    List<String> lines = new ArrayList<>(2);
    if (current != null) {
      lines.add(EXT_CURRENT + current.generation() + " " + current.sha256());
    }
    if (pending != null) {
      lines.add(EXT_PENDING + pending.generation() + " " + pending.sha256());
    }
    if (highest > newestGeneration()) {
      lines.add(EXT_HIGHEST + highest);
    }
    return lines;
  }

  /**
   * The state a signed checkpoint's extension lines state (lines of other kinds are ignored).
   *
   * @throws IllegalArgumentException if a vault line is malformed or repeated
   */
  public static VaultWrites fromExtensions(List<String> lines) {
    VaultVersion current = null;
    VaultVersion pending = null;
    long highest = -1;
    for (String line : lines) {
      if (line.startsWith(EXT_HIGHEST)) {
        String n = line.substring(EXT_HIGHEST.length());
        if (highest >= 0 || !n.matches("0|[1-9][0-9]{0,17}")) {
          throw new IllegalArgumentException("a malformed or repeated vault line in the checkpoint");
        }
        highest = Long.parseLong(n);
        continue;
      }
      boolean isCurrent = line.startsWith(EXT_CURRENT);
      if (!isCurrent && !line.startsWith(EXT_PENDING)) {
        continue;
      }
      String[] parts = line.substring((isCurrent ? EXT_CURRENT : EXT_PENDING).length()).split(" ", -1);
      VaultVersion v = parts.length == 2 ? version(Map.of(GENERATION, parts[0], SHA256, parts[1])) : null;
      if (v == null || (isCurrent ? current : pending) != null) {
        throw new IllegalArgumentException("a malformed or repeated vault line in the checkpoint");
      }
      if (isCurrent) {
        current = v;
      } else {
        pending = v;
      }
    }
    VaultWrites named = new VaultWrites(current, pending, Math.max(current == null ? -1 : current.generation(),
        pending == null ? -1 : pending.generation()));
    if (highest >= 0 && highest <= named.highest()) {
      throw new IllegalArgumentException("a vault-highest line in the checkpoint that is not the highest");
    }
    return highest < 0 ? named : new VaultWrites(current, pending, highest);
  }

  /** For messages: what the log expects. */
  public String describe() {
    if (current == null && pending == null) {
      return "no generation";
    }
    return (current == null ? "" : current.describe())
        + (pending == null ? "" : (current == null ? "" : ", then a write to ") + pending.describe());
  }
}
