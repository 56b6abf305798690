package dev.gatehouse.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gatehouse.broker.Problem;
import dev.gatehouse.broker.Refused;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz target for the JSON body of {@code POST /v1/gate/messages} ({@code GateEndpoint.message}),
 * then the gate's own check of the sender ({@link ChatGate#SENDER}).
 * Contract: a message whose fields are the body's, or a 400 {@code bad-request}; never another
 * exception (an HTTP 500), never a hang.
 */
class GateBodyFuzzTest {
  /** Input: the request body as sent. */
  @FuzzTest
  @Timeout(10)
  void message_anyBody_isMessageOrBadRequest(byte[] data) {
    try {
      GateMessage m = GateEndpoint.message(data);
      assertThat(m.sender()).isNotNull();
      assertThat(m.text()).isNotNull();
      assertThat(m.senderName() == null || m.senderName().length() <= 256).isTrue();
      ChatGate.SENDER.matcher(m.sender()).matches(); // the gate's next check: a regex, bounded input
    } catch (Refused r) {
      assertThat(r.problem().kind()).isEqualTo(Problem.Kind.BAD_REQUEST);
    }
  }
}
