package dev.anvil.rbac.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.rbac.schema.InvalidTagsException.TagProblem;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TagSchemaTest {
  private final TagSchema schema =
      TagSchema.parse(
          "schema.yaml",
          """
          tags:
            classification: {type: ordered, values: [public, internal, confidential], required: true}
            department: {type: set, values: [engineering, hr], required: true}
            region: {type: enum, values: [eu, us]}
            owner: {type: principal}
            source: {type: string}
          """);

  @Test
  void validTagsAreTyped() {
    DocTags tags =
        schema.validate(
            Map.of(
                "classification",
                "internal",
                "department",
                List.of("hr", "engineering"),
                "owner",
                "alice"));
    assertThat(tags.get("classification")).contains(new TagValue.Level("internal", 1));
    assertThat(tags.get("department"))
        .contains(new TagValue.Members(new java.util.TreeSet<>(List.of("engineering", "hr"))));
    assertThat(tags.get("owner")).contains(new TagValue.Single("alice"));
    assertThat(tags.has("region")).isFalse();
  }

  @Test
  void untaggedDocumentsAreRejectedNeverPublic() {
    assertThatThrownBy(() -> schema.validate(Map.of()))
        .isInstanceOfSatisfying(
            InvalidTagsException.class,
            e ->
                assertThat(e.problems())
                    .extracting(TagProblem::tag)
                    .containsExactly("classification", "department"));
  }

  @Test
  void everyProblemNamesItsTagAndWhatWasExpected() {
    assertThatThrownBy(
            () ->
                schema.validate(
                    Map.of(
                        "classification", "secret",
                        "department", List.of("hr", "legal"),
                        "region", List.of("eu"),
                        "colour", "red",
                        "source", " ")))
        .isInstanceOfSatisfying(
            InvalidTagsException.class,
            e ->
                assertThat(e.problems())
                    .extracting(TagProblem::toString)
                    .containsExactly(
                        "tag 'colour': unknown tag (the schema declares: [classification, department, region, owner, source])",
                        "tag 'classification': 'secret' is not allowed (expected one of, lowest first: [public, internal, confidential])",
                        "tag 'department': 'legal' is not allowed (expected a list of: [engineering, hr])",
                        "tag 'region': expected a single value, was [eu] (expected one of: [eu, us])",
                        "tag 'source': ' ' is not allowed (expected non-empty text)"));
  }

  @Test
  void aRequiredSetMustNotBeEmptyAndAnOptionalEmptySetIsAbsent() {
    assertThatThrownBy(
            () -> schema.validate(Map.of("classification", "public", "department", List.of())))
        .hasMessageContaining("tag 'department': required set tag is empty");
  }
}
