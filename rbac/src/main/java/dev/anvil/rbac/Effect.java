package dev.anvil.rbac;

/** What a policy does when its condition holds. Any applicable deny overrides every allow. */
public enum Effect {
  ALLOW,
  DENY;

  /** The name used in policy files. */
  public String id() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
