package dev.anvil.rbac.filter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.rbac.filter.Filter.AnyOf;
import dev.anvil.rbac.filter.Filter.Range;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FilterTest {
  private static Range range(int min, int max) {
    List<String> levels = List.of("public", "internal", "confidential", "restricted");
    return new Range("classification", min, max, levels.get(min), levels.get(max));
  }

  @Test
  void constantsFold() {
    Filter t = Filter.term("department", "hr");
    assertThat(Filter.and(t, Filter.all())).isEqualTo(t);
    assertThat(Filter.and(t, Filter.none())).isEqualTo(Filter.none());
    assertThat(Filter.or(t, Filter.all())).isEqualTo(Filter.all());
    assertThat(Filter.or(t, Filter.none())).isEqualTo(t);
    assertThat(Filter.and(List.of())).isEqualTo(Filter.all());
    assertThat(Filter.or(List.of())).isEqualTo(Filter.none());
    assertThat(Filter.not(Filter.not(t))).isEqualTo(t);
  }

  @Test
  void termsOnOneTagUnderOrBecomeOneAnyOf() {
    Filter f =
        Filter.or(
            Filter.term("department", "hr"),
            Filter.or(Filter.term("department", "finance"), Filter.term("owner", "alice")),
            Filter.anyOf("department", Set.of("legal", "hr")));
    assertThat(f)
        .isEqualTo(
            new Filter.Or(
                List.of(
                    new AnyOf(
                        "department", new java.util.TreeSet<>(Set.of("finance", "hr", "legal"))),
                    Filter.term("owner", "alice"))));
  }

  @Test
  void rangesMergeUnderOrAndIntersectUnderAnd() {
    assertThat(Filter.or(range(0, 0), range(1, 1), range(3, 3)))
        .isEqualTo(new Filter.Or(List.of(range(3, 3), range(0, 1))));
    assertThat(Filter.and(range(0, 2), range(1, 3))).isEqualTo(range(1, 2));
    assertThat(Filter.and(range(0, 0), range(2, 3))).isEqualTo(Filter.none());
  }

  @Test
  void existsIsDroppedWhenImplied() {
    assertThat(Filter.and(Filter.exists("owner"), Filter.term("owner", "alice")))
        .isEqualTo(Filter.term("owner", "alice"));
  }

  @Test
  void deMorganTurnsNestedNegationsIntoOneNode() {
    Filter a = Filter.term("topics", "compensation");
    Filter b = Filter.term("topics", "payroll");
    assertThat(Filter.not(Filter.and(Filter.not(a), Filter.not(b))))
        .isEqualTo(Filter.anyOf("topics", Set.of("compensation", "payroll")));
  }

  @Test
  void childOrderDoesNotMatter() {
    Filter a = Filter.term("owner", "alice");
    Filter b = Filter.exists("topics");
    assertThat(Filter.and(a, b)).isEqualTo(Filter.and(b, a));
    assertThat(Filter.or(a, b)).isEqualTo(Filter.or(b, a));
  }

  @Test
  void treeRenderingIsReadable() {
    Filter f =
        Filter.and(
            range(0, 2),
            Filter.not(Filter.or(Filter.term("topics", "litigation"), Filter.exists("owner"))));
    assertThat(FilterFormat.tree(f))
        .isEqualTo(
            """
            all of:
              classification in [public .. confidential]
              none of:
                has(owner)
                topics = litigation
            """);
  }
}
