package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.trainer.synth.CorpusUnavailableException.Reason;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

/**
 * What a job's submitter is told when the engine will not give a corpus: retry later when it is
 * busy or away, fix the spec when it refuses the request (an unknown tag), look at the engine
 * otherwise.
 */
class CorpusSourcesTest {
  @Test
  void theEnginesAnswerDecidesWhatTheSubmitterIsTold() {
    assertThat(CorpusSources.reason(Status.Code.UNAVAILABLE)).isEqualTo(Reason.UNAVAILABLE);
    assertThat(CorpusSources.reason(Status.Code.RESOURCE_EXHAUSTED)).isEqualTo(Reason.UNAVAILABLE);
    assertThat(CorpusSources.reason(Status.Code.DEADLINE_EXCEEDED)).isEqualTo(Reason.UNAVAILABLE);
    assertThat(CorpusSources.reason(Status.Code.INVALID_ARGUMENT))
        .isEqualTo(Reason.INVALID_REQUEST);
    assertThat(CorpusSources.reason(Status.Code.UNAUTHENTICATED)).isEqualTo(Reason.FAILED);
    assertThat(CorpusSources.reason(Status.Code.INTERNAL)).isEqualTo(Reason.FAILED);
  }
}
