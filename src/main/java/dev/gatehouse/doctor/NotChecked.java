package dev.gatehouse.doctor;

/** A check could not be made (the vault is sealed, the home cannot be opened, ...): said as an info finding. */
public final class NotChecked extends Exception {
  private final String fix;

  public NotChecked(String reason, String fix) {
    super(reason, null, false, false);
    this.fix = fix;
  }

  public String fix() {
    return fix;
  }
}
