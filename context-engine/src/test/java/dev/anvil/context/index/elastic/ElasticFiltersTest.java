package dev.anvil.context.index.elastic;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.rbac.filter.Filter;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The shape of the query DSL the second compiler writes (what it selects: the node tests). */
class ElasticFiltersTest {
  @Test
  void eachNodeBecomesTheQueryOverItsField() {
    Filter f =
        new Filter.Or(
            List.of(
                new Filter.Term("department", "hr"),
                new Filter.Range("classification", 0, 1, "public", "internal"),
                new Filter.Not(new Filter.Exists("legal_hold"))));
    assertThat(ElasticFilters.toQuery(f).toString())
        .isEqualTo(
            "{\"bool\":{\"should\":["
                + "{\"term\":{\"tags.department\":\"hr\"}},"
                + "{\"range\":{\"ranks.classification\":{\"gte\":0,\"lte\":1}}},"
                + "{\"bool\":{\"must_not\":[{\"term\":{\"tag_present\":\"legal_hold\"}}]}}"
                + "],\"minimum_should_match\":1}}");
    assertThat(ElasticFilters.toQuery(Filter.none()).toString()).isEqualTo("{\"match_none\":{}}");
  }

  @Test
  void aValueFromAnIdentityIsDataNeverQuerySyntax() {
    String evil = "x\"}},{\"match_all\":{}}]}}";
    JsonObject q =
        ElasticFilters.toQuery(new Filter.AnyOf("owner", new java.util.TreeSet<>(Set.of(evil))));
    JsonObject parsed = JsonParser.parseString(q.toString()).getAsJsonObject();
    assertThat(parsed.getAsJsonObject("terms").getAsJsonArray("tags.owner").get(0).getAsString())
        .isEqualTo(evil);
    assertThat(parsed.keySet()).containsExactly("terms");
  }
}
