package dev.anvil.context.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.context.api.Document;
import dev.anvil.context.api.IngestOutcome;
import dev.anvil.context.grpc.v1.IngestResult;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProtoMappingTest {
  @Test
  void aDocumentCrossesTheWireUnchanged() {
    Document d =
        new Document(
            "hr-system/hr-salary-bands-2027",
            3,
            "Salary bands 2027",
            "Bands by level.",
            "https://intranet.acme.example/hr-salary-bands-2027",
            Map.of("classification", "confidential", "department", List.of("hr", "finance")));
    assertThat(ProtoMapping.document(ProtoMapping.message(d))).isEqualTo(d);
  }

  @Test
  void everyIngestOutcomeCrossesTheWireUnchanged() {
    List<IngestOutcome> outcomes =
        List.of(
            new IngestOutcome.Indexed("a", 2, 5),
            new IngestOutcome.Ignored("b", 1, 2),
            new IngestOutcome.Rejected("c", "tags.classification", "missing"),
            new IngestOutcome.Denied("d", "hr-writes"),
            new IngestOutcome.Deleted("e"),
            new IngestOutcome.Conflict("f"));
    for (IngestOutcome o : outcomes) {
      assertThat(ProtoMapping.outcome(ProtoMapping.result(o))).isEqualTo(o);
    }
  }

  @Test
  void aResultWithoutAnOutcomeIsRefusedByName() {
    assertThatThrownBy(
            () -> ProtoMapping.outcome(IngestResult.newBuilder().setDocumentId("x").build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("x");
  }
}
