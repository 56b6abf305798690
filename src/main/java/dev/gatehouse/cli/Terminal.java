package dev.gatehouse.cli;

/** The person at the keyboard, when there is one. Tests script it. */
public interface Terminal {
  /** True when a person can answer prompts (stdin and stdout are a terminal). */
  boolean interactive();

  /** Shows {@code prompt} and reads one line; null at end of input. */
  String readLine(String prompt);

  /** Shows {@code prompt} and reads one line without echo; null at end of input. The caller zeroes it. */
  char[] readSecret(String prompt);
}
