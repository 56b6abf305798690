package dev.gatehouse.config;

import dev.gatehouse.error.BadInputException;

/** A problem in a configuration file, named by file and line: {@code FILE:LINE: problem}. */
public final class ConfigException extends BadInputException {
  private final int line;
  private final String problem;

  public ConfigException(String file, int line, String problem) {
    super((line > 0 ? file + ":" + line : file) + ": " + problem);
    this.line = line;
    this.problem = problem;
  }

  /** 1-based line, or 0 when the problem is with the file as a whole. */
  public int line() {
    return line;
  }

  public String problem() {
    return problem;
  }
}
