package dev.gatehouse.config;

/**
 * The two glob dialects of configuration: names (agent allowlists, exec arguments) and paths
 * (the catalog's allow_paths). No regular expressions are built from configuration text.
 */
public final class Globs {
  private Globs() {}

  /** Names and single arguments: {@code *} matches any run of characters (dots and slashes included). */
  public static boolean matchesName(String glob, String name) {
    return match(glob, 0, name, 0, true);
  }

  /**
   * Paths: {@code *} matches within one segment (never a {@code /}); {@code **} matches
   * across segments. The path must already be normalized (the broker's PathRules).
   */
  public static boolean matchesPath(String glob, String path) {
    return match(glob, 0, path, 0, false);
  }

  private static boolean match(String g, int gi, String s, int si, boolean starCrossesSlash) {
    while (gi < g.length()) {
      char c = g.charAt(gi);
      if (c == '*') {
        boolean doubleStar = gi + 1 < g.length() && g.charAt(gi + 1) == '*';
        int next = gi + (doubleStar ? 2 : 1);
        boolean crosses = starCrossesSlash || doubleStar;
        for (int k = si; k <= s.length(); k++) {
          if (match(g, next, s, k, starCrossesSlash)) {
            return true;
          }
          if (k < s.length() && s.charAt(k) == '/' && !crosses) {
            return false;
          }
        }
        return false;
      }
      if (si >= s.length() || s.charAt(si) != c) {
        return false;
      }
      gi++;
      si++;
    }
    return si == s.length();
  }
}
