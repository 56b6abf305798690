package dev.gatehouse.cli;

import java.io.Console;
import java.lang.reflect.Method;

/** The process's controlling terminal, through {@link System#console()}. */
final class SystemTerminal implements Terminal {
  private final Console console = System.console();

  @Override
  public boolean interactive() {
    if (console == null) {
      return false;
    }
    // JDK 22+ returns a Console even for redirected streams and says so with isTerminal();
    // on JDK 21 a non-null Console already means a terminal.
    try {
      Method isTerminal = Console.class.getMethod("isTerminal");
      return (Boolean) isTerminal.invoke(console);
    } catch (NoSuchMethodException e) {
      return true;
    } catch (ReflectiveOperationException e) {
      return false;
    }
  }

  @Override
  public String readLine(String prompt) {
    return console == null ? null : console.readLine("%s", prompt);
  }

  @Override
  public char[] readSecret(String prompt) {
    return console == null ? null : console.readPassword("%s", prompt);
  }
}
