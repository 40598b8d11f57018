package dev.anvil.context.ingest.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.context.api.Document;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DocumentRecordTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void upsertsAndDeletesRoundTrip() {
    Document d =
        new Document(
            "hr-42",
            7,
            "Pay bands",
            "Body.",
            "wiki://hr-42",
            Map.of("classification", "restricted", "department", List.of("hr")));
    DocumentRecord up = new DocumentRecord.Upsert(d);
    assertThat(DocumentRecord.parse(b("hr-42"), up.toJson())).isEqualTo(up);
    DocumentRecord del = new DocumentRecord.Delete("hr-42");
    assertThat(DocumentRecord.parse(b("hr-42"), del.toJson())).isEqualTo(del);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          not json                 | {"schema_version":1,                                     | ''             | not JSON
          an array                 | [1]                                                      | ''             | expected a JSON object
          no schema version        | {"op":"delete","id":"k"}                                 | schema_version | missing
          a future schema version  | {"schema_version":2,"op":"delete","id":"k"}              | schema_version | expected 1, was 2
          an unknown op            | {"schema_version":1,"op":"merge","id":"k"}               | op             | expected "upsert" or "delete"
          a key that is not the id | {"schema_version":1,"op":"delete","id":"other"}          | id             | the record key must be the document id
          a misspelt field         | {"schema_version":1,"op":"upsert","id":"k","version":1,"body":"b","tags":{},"verison":2} | verison | unknown field
          no tags                  | {"schema_version":1,"op":"upsert","id":"k","version":1,"body":"b"}                      | tags    | missing
          a numeric tag            | {"schema_version":1,"op":"upsert","id":"k","version":1,"body":"b","tags":{"level":3}}   | tags.level | expected a string or a list of strings
          a fractional version     | {"schema_version":1,"op":"upsert","id":"k","version":1.5,"body":"b","tags":{}}          | version | expected a whole number
          a body that is no string | {"schema_version":1,"op":"upsert","id":"k","version":1,"body":5,"tags":{}}              | body    | expected a string
          a record naming its writer | {"schema_version":1,"op":"upsert","id":"k","version":1,"body":"b","tags":{},"principal":"hr-system-connector"} | principal | a record may not name who writes it
          a delete naming its writer | {"schema_version":1,"op":"delete","id":"k","principal":"admin"}                        | principal | a record may not name who writes it
          """)
  void badRecordsNameTheField(String what, String json, String field, String reason) {
    assertThatThrownBy(() -> DocumentRecord.parse(b("k"), b(json)))
        .isInstanceOfSatisfying(
            InvalidRecordException.class,
            e -> {
              assertThat(e.field()).isEqualTo(field);
              assertThat(e.reason()).contains(reason);
            });
  }

  @Test
  void tombstonesAndBadUtf8AreRefused() {
    assertThatThrownBy(() -> DocumentRecord.parse(b("k"), null)).hasMessageContaining("tombstone");
    assertThatThrownBy(() -> DocumentRecord.parse(b("k"), new byte[] {'{', (byte) 0xff, '}'}))
        .hasMessageContaining("not UTF-8");
  }
}
