package dev.gatehouse.guard;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gatehouse.testing.FuzzInput;
import java.util.List;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz target for the injection scanner ({@link InjectionScanner#scanStrict}: the scan without
 * its catch-all, so a rule that throws is found rather than hidden). Contract: flags of known
 * kinds, each at most once, in {@link InjectionScanner#KINDS} order, with short printable
 * details; never an exception, never a hang.
 */
class InjectionScannerFuzzTest {
  private final InjectionScanner scanner = new InjectionScanner();

  @FuzzTest
  @Timeout(10)
  void scan_anyText_flagsAreWellFormed(byte[] data) {
    List<InjectionFlag> flags = scanner.scanStrict(FuzzInput.text(data));
    List<String> kinds = flags.stream().map(InjectionFlag::kind).toList();
    assertThat(InjectionScanner.KINDS).containsAll(kinds);
    assertThat(kinds).doesNotHaveDuplicates()
        .isSortedAccordingTo((a, b) -> InjectionScanner.KINDS.indexOf(a) - InjectionScanner.KINDS.indexOf(b));
    for (InjectionFlag f : flags) {
      assertThat(f.detail()).hasSizeLessThanOrEqualTo(InjectionScanner.MAX_DETAIL).matches("[\\x20-\\x7E]+");
    }
  }
}
