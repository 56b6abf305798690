package dev.gatehouse.cli;

import dev.gatehouse.error.BadInputException;
import dev.gatehouse.vault.Credential;
import dev.gatehouse.vault.Vault;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.Set;

/**
 * Where the command line gets secrets: a no-echo prompt, standard input, or a 0600 file;
 * never argv or the environment. Everything returned is the caller's to zero.
 */
final class Secrets {
  static final int MAX_SECRET_BYTES = 1024 * 1024;

  private Secrets() {}

  /** The credential that opens {@code vault}, in the order a person and a script would want. */
  static Credential unlockCredential(CliEnvironment env, Path passwordFile, Vault vault) throws IOException {
    if (passwordFile != null) {
      return new Credential.Password(readPasswordFile(passwordFile));
    }
    Credential.MachineSeal machine = machineSeal(env, new char[0]);
    if (machine != null && vault.sealedToThisMachine(machine)) {
      if (!vault.machineSlotNeedsPin()) {
        return machine;
      }
      machine.close();
      char[] pin = env.terminal().interactive() ? env.terminal().readSecret("Vault PIN: ") : null;
      if (pin == null) {
        throw new BadInputException("the vault's sealed mode needs its PIN: run in a terminal, or give --password-file");
      }
      try {
        return machineSeal(env, pin);
      } finally {
        Arrays.fill(pin, '\0');
      }
    }
    if (machine != null) {
      machine.close();
    }
    if (env.terminal().interactive()) {
      char[] pw = env.terminal().readSecret("Vault master password: ");
      if (pw == null || pw.length == 0) {
        throw new BadInputException("no password given");
      }
      try {
        return new Credential.Password(pw);
      } finally {
        Arrays.fill(pw, '\0');
      }
    }
    throw new BadInputException("the vault is locked: give --password-file FILE (mode 0600), or run in a terminal");
  }

  /** This machine's seal with {@code pin}, or null when the machine has no identity. */
  static Credential.MachineSeal machineSeal(CliEnvironment env, char[] pin) {
    byte[] fp;
    try {
      fp = env.machine().fingerprint();
    } catch (IOException e) {
      return null;
    }
    try {
      return new Credential.MachineSeal(fp, pin);
    } finally {
      Arrays.fill(fp, (byte) 0);
    }
  }

  /** What picocli gives a code option or parameter that was named without a value: ask for it. */
  static final String ASK = "";

  /** A code is short; anything longer on standard input is not one. */
  private static final int MAX_CODE_CHARS = 128;

  /**
   * A one-time code from where the person put it: {@code given} itself when it was typed on the
   * command line (which other local users can read in the process list until it is spent, so
   * {@code warn} says so), standard input for {@code -}, or a no-echo prompt for
   * {@link #ASK}. Null when no code was given at all.
   */
  static String readCode(CliEnvironment env, String given, String what, java.io.PrintWriter warn) throws IOException {
    if (given == null) {
      return null;
    }
    if (given.equals("-")) {
      char[] piped = readStdinChars(env.stdin(), what);
      try {
        if (piped.length > MAX_CODE_CHARS) {
          throw new BadInputException(what + " on standard input is longer than a code");
        }
        return new String(piped);
      } finally {
        Arrays.fill(piped, '\0');
      }
    }
    if (given.equals(ASK)) {
      if (!env.terminal().interactive()) {
        throw new BadInputException("no terminal to ask for " + what + ": pipe it in and write `-` in its place");
      }
      char[] typed = env.terminal().readSecret(Character.toUpperCase(what.charAt(0)) + what.substring(1) + ": ");
      if (typed == null || typed.length == 0) {
        throw new BadInputException("no " + what + " given");
      }
      try {
        return new String(typed);
      } finally {
        Arrays.fill(typed, '\0');
      }
    }
    warn.println("gatehouse: note: a code on the command line can be read by other local users in the process list "
        + "until it is spent; leave it out to be asked for it, or write - and pipe it in");
    return given;
  }

  /** A new secret from a no-echo prompt, asked twice. */
  static char[] promptNew(Terminal terminal, String what) {
    char[] first = terminal.readSecret(what + ": ");
    if (first == null || first.length == 0) {
      throw new BadInputException("no " + what.toLowerCase() + " given");
    }
    char[] second = terminal.readSecret("Again: ");
    try {
      if (second == null || !Arrays.equals(first, second)) {
        Arrays.fill(first, '\0');
        throw new BadInputException("the two entries differ; nothing was changed");
      }
      return first;
    } finally {
      if (second != null) {
        Arrays.fill(second, '\0');
      }
    }
  }

  /** Standard input, without one trailing newline; at most {@link #MAX_SECRET_BYTES}. */
  static byte[] readStdin(InputStream in, String what) throws IOException {
    byte[] all = in.readNBytes(MAX_SECRET_BYTES + 2);
    int end = all.length;
    if (end > 0 && all[end - 1] == '\n') {
      end--;
      if (end > 0 && all[end - 1] == '\r') {
        end--;
      }
    }
    if (end > MAX_SECRET_BYTES) {
      Arrays.fill(all, (byte) 0);
      throw new BadInputException(what + " is larger than 1 MiB");
    }
    byte[] out = Arrays.copyOf(all, end);
    Arrays.fill(all, (byte) 0);
    return out;
  }

  static char[] readStdinChars(InputStream in, String what) throws IOException {
    byte[] bytes = readStdin(in, what);
    try {
      if (bytes.length == 0) {
        throw new BadInputException(what + " on standard input is empty");
      }
      return utf8(bytes, what + " on standard input");
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  /** The password in {@code file}, refused unless the file is yours and mode 0600 or stricter. */
  static char[] readPasswordFile(Path file) throws IOException {
    PosixFileAttributes attrs;
    try {
      attrs = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw new BadInputException("--password-file " + file + " does not exist");
    }
    Set<PosixFilePermission> perms = attrs.permissions();
    boolean loose = perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"));
    if (!attrs.isRegularFile() || loose || !attrs.owner().getName().equals(System.getProperty("user.name"))) {
      throw new BadInputException("--password-file " + file + " must be a regular file of yours with mode 0600; fix it with `chmod 600 " + file + "`");
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = readStdin(in, "--password-file " + file);
    }
    try {
      if (bytes.length == 0) {
        throw new BadInputException("--password-file " + file + " is empty");
      }
      return utf8(bytes, "--password-file " + file);
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  private static char[] utf8(byte[] bytes, String what) {
    try {
      CharBuffer cb = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
      char[] out = Arrays.copyOf(cb.array(), cb.limit());
      Arrays.fill(cb.array(), '\0');
      return out;
    } catch (CharacterCodingException e) {
      throw new BadInputException(what + " is not UTF-8 text");
    }
  }

  /** Refuses names that are Gatehouse's own. */
  static void checkUserName(String name) {
    if (name.startsWith(dev.gatehouse.vault.Vault.OWN_PREFIX)) {
      throw new BadInputException("names starting with '" + dev.gatehouse.vault.Vault.OWN_PREFIX + "' are Gatehouse's own; choose another name");
    }
  }

}
