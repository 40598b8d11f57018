package dev.anvil.context.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.context.api.Cancellation;
import dev.anvil.context.api.ContextException;
import dev.anvil.context.api.Document;
import dev.anvil.context.index.elastic.ElasticIndex;
import dev.anvil.context.index.elastic.ElasticNode;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.RandomPolicies;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.TestSeed;
import dev.anvil.rbac.diff.Breakdown;
import dev.anvil.rbac.diff.BruteForceDiff;
import dev.anvil.rbac.diff.DiffIndex;
import dev.anvil.rbac.diff.DiffOptions;
import dev.anvil.rbac.diff.DiffReport;
import dev.anvil.rbac.diff.DiffSubject;
import dev.anvil.rbac.diff.DiffSubjects;
import dev.anvil.rbac.diff.PolicyDiff;
import dev.anvil.rbac.filter.Filter;
import dev.anvil.rbac.input.PolicyLoadException;
import dev.anvil.rbac.input.PolicySource;
import dev.anvil.rbac.schema.TagDefinition;
import dev.anvil.rbac.schema.TagSchema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A policy diff counted by the Lucene index equals deciding every document with the old and the new
 * policy set, on random corpora (documents of several chunks, over several segments, some replaced)
 * for random policy changes: random schemas and policies, and random edits of the example pack.
 */
@ExtendWith(TestSeed.class)
class PolicyDiffIndexTest {
  static final PolicyPack EXAMPLE = TestPacks.example();
  static final List<String> PEOPLE =
      List.of("alice", "hannah", "harry", "erin", "lena", "carl", "rita", "sam", "zoe");

  @TempDir Path tmp;

  /**
   * Writes {@code docs} (id to raw tags, valid under {@code schema}) into a fresh index: 1 to 3
   * chunks each, a segment every 17 documents, and every fifth document first written with other
   * tags and then replaced (its old chunks must not count).
   */
  static Path index(Path dir, TagSchema schema, Map<String, Map<String, Object>> docs, Random r) {
    try (LuceneIndex index = LuceneIndex.open(dir, "test-model", "test-chunking")) {
      write(index, schema, docs, r);
    }
    return dir;
  }

  /**
   * Writes {@code docs} into {@code index} as {@link #index} does, and commits: the same random
   * source writes the same chunks, refreshes and replacements into any backend.
   */
  static void write(
      ChunkIndex index, TagSchema schema, Map<String, Map<String, Object>> docs, Random r) {
    List<Map<String, Object>> all = List.copyOf(docs.values());
    int n = 0;
    for (Map.Entry<String, Map<String, Object>> e : docs.entrySet()) {
      if (n % 5 == 0) {
        write(index, schema, e.getKey(), 1, all.get(r.nextInt(all.size())), r);
      }
      write(index, schema, e.getKey(), 2, e.getValue(), r);
      if (++n % 17 == 0) {
        index.refresh(); // a new segment, without the cost of a durable commit
      }
    }
    index.commit();
  }

  private static void write(
      ChunkIndex index,
      TagSchema schema,
      String id,
      long version,
      Map<String, Object> tags,
      Random r) {
    int chunks = 1 + r.nextInt(3);
    List<String> texts = new ArrayList<>();
    float[][] vectors = new float[chunks][];
    for (int i = 0; i < chunks; i++) {
      texts.add("chunk " + i + " of " + id);
      vectors[i] = new float[] {1, 0, 0, 0};
    }
    index.upsert(
        new Document(id, version, id, String.join(" ", texts), "test://" + id, tags),
        schema.validate(tags),
        texts,
        new int[chunks],
        vectors);
  }

  static List<String> tagsWithValues(TagSchema schema) {
    return schema.tags().stream()
        .filter(t -> t.type().hasValues())
        .map(TagDefinition::name)
        .toList();
  }

  @Test
  void luceneDiffEqualsDecidingEveryDocumentForRandomPoliciesAndChanges() {
    List<Action> actions = List.of(Action.READ, Action.INGEST);
    int nonEmpty = 0;
    for (int round = 0; round < 20; round++) {
      long seed = TestSeed.RUN + round;
      RandomPolicies gen = new RandomPolicies(seed);
      PolicySource schema = new PolicySource("schema.yaml", gen.schemaYaml());
      PolicySet inForce =
          PolicySet.parse(schema, List.of(new PolicySource("old.yaml", gen.policiesYaml())));
      PolicySet proposed =
          PolicySet.parse(schema, List.of(new PolicySource("new.yaml", gen.policiesYaml())));
      Map<String, Map<String, Object>> docs = new LinkedHashMap<>();
      for (int i = 0; i < 60; i++) {
        docs.put("doc-" + Integer.toString(i, 7), gen.doc());
      }
      List<DiffSubject> subjects = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        subjects.add(
            new DiffSubject("p" + i, DiffSubject.Kind.PRINCIPAL, gen.principal(), List.of()));
      }
      Path dir = index(tmp.resolve("r" + round), proposed.schema(), docs, new Random(seed));
      List<String> tags = tagsWithValues(proposed.schema());
      DiffReport report =
          LuceneIndex.readCommitted(
              dir,
              s ->
                  PolicyDiff.compute(
                      inForce,
                      proposed,
                      subjects,
                      new DiffOptions(actions, tags, 2, Optional.empty()),
                      s.diffIndex()));
      assertThat(report.subjects())
          .as(
              "seed %d (rerun with -Danvil.seed=%d)%nold: %s%nnew: %s",
              seed, TestSeed.RUN, inForce.policies(), proposed.policies())
          .isEqualTo(
              BruteForceDiff.subjects(
                  inForce, proposed, subjects, actions, report.byTags(), 2, docs));
      nonEmpty += report.isEmpty() ? 0 : 1;
    }
    assertThat(nonEmpty).as("rounds whose change exposed or hid something").isGreaterThan(5);
  }

  @Test
  void luceneDiffEqualsDecidingEveryDocumentForRandomEditsOfTheExamplePack() throws Exception {
    PolicySet inForce = EXAMPLE.load();
    List<DiffSubject> subjects = DiffSubjects.of(PrincipalDirectory.load(EXAMPLE.principalsFile()));
    List<Action> actions = List.of(Action.READ, Action.TRAIN);
    Random r = TestSeed.random("example-edits");
    Map<String, Map<String, Object>> docs = new LinkedHashMap<>();
    for (int i = 0; i < 300; i++) {
      Map<String, Object> tags = exampleDoc(r);
      docs.put(TestPacks.idFor(tags, "doc-" + i), tags);
    }
    Path dir = index(tmp.resolve("example"), inForce.schema(), docs, r);
    int tripped = 0;
    for (int round = 0; round < 10; round++) {
      PolicySet proposed = edited(r);
      DiffReport report =
          LuceneIndex.readCommitted(
              dir,
              s ->
                  PolicyDiff.compute(
                      inForce,
                      proposed,
                      subjects,
                      DiffOptions.defaults().withActions(actions).withSamples(3),
                      s.diffIndex()));
      assertThat(report.subjects())
          .as("seed %d, proposed %s", TestSeed.RUN, proposed.policies())
          .isEqualTo(
              BruteForceDiff.subjects(
                  inForce, proposed, subjects, actions, report.byTags(), 3, docs));
      tripped += report.gateTripped() ? 1 : 0;
    }
    assertThat(tripped).as("rounds that newly exposed restricted documents").isPositive();
  }

  /**
   * Ids that mean something to Elasticsearch's query syntax, JSON or URLs, and ids whose code point
   * order differs from UTF-16 order: a diff passes them as terms and reads them back as keys, never
   * as syntax.
   */
  static final List<String> AWKWARD_IDS =
      List.of(
          "*",
          "?",
          "a OR b",
          "NOT x AND y",
          "id:\"quoted\"",
          "back\\slash",
          "(paren) [bracket] {brace}",
          "^caret~1 +plus -minus",
          "!bang && pipe || more",
          "slash/es/../too",
          "_id",
          "_all",
          "\"}}]},{\"match_all\":{}}",
          "<script>alert(1)</script>",
          " leading space",
          "tab\tand\nnewline",
          "ümlaut-é",
          "中文-文档",
          "emoji-\uD83D\uDE00",
          "private-\uE000",
          "\uFFFD-replacement",
          "%2F%00-percent");

  /**
   * The cluster counts a diff exactly as the embedded index does: the same documents, chunks,
   * refreshes and replacements written into both, random edits of the example pack diffed with
   * random options, and every report identical, zero differences (and both equal to deciding every
   * document). Ids include {@link #AWKWARD_IDS}.
   */
  @Test
  @Tag("heavy")
  void clusterDiffEqualsLuceneDiffForRandomEditsOfTheExamplePack() throws Exception {
    PolicySet inForce = EXAMPLE.load();
    TagSchema schema = inForce.schema();
    List<DiffSubject> subjects = DiffSubjects.of(PrincipalDirectory.load(EXAMPLE.principalsFile()));
    Random r = TestSeed.random("cluster-diff");
    Map<String, Map<String, Object>> docs = new LinkedHashMap<>();
    for (int i = 0; i < 300; i++) {
      Map<String, Object> tags = exampleDoc(r);
      String local = i < AWKWARD_IDS.size() ? AWKWARD_IDS.get(i) : "doc-" + i;
      docs.put(TestPacks.idFor(tags, local), tags);
    }
    long writes = r.nextLong();
    Path lucene = index(tmp.resolve("lucene"), schema, docs, new Random(writes));
    List<String> differences = new ArrayList<>();
    int exposing = 0;
    try (ElasticIndex cluster =
        ElasticIndex.open(
            ElasticNode.shared().freshConfig(), ".", "test-model", 4, "test-chunking", schema)) {
      write(cluster, schema, docs, new Random(writes));
      for (int round = 0; round < 10; round++) {
        PolicySet proposed = round == 0 ? inForce : edited(r);
        List<Action> actions =
            r.nextBoolean() ? List.of(Action.READ) : List.of(Action.READ, Action.TRAIN);
        DiffOptions options =
            new DiffOptions(
                actions,
                r.nextBoolean() ? List.of() : tagsWithValues(schema),
                List.of(0, 1, 3, 100).get(r.nextInt(4)),
                Optional.empty());
        DiffReport embedded =
            LuceneIndex.readCommitted(
                lucene,
                s -> PolicyDiff.compute(inForce, proposed, subjects, options, s.diffIndex()));
        DiffReport counted =
            cluster.withSnapshot(
                Cancellation.NONE,
                s -> PolicyDiff.compute(inForce, proposed, subjects, options, s.diffIndex()));
        for (int i = 0; i < embedded.subjects().size(); i++) {
          if (!embedded.subjects().get(i).equals(counted.subjects().get(i))) {
            differences.add(
                "seed "
                    + TestSeed.RUN
                    + " round "
                    + round
                    + ": lucene "
                    + embedded.subjects().get(i)
                    + "\n  cluster "
                    + counted.subjects().get(i));
          }
        }
        if (differences.isEmpty() && !counted.equals(embedded)) {
          differences.add("round " + round + ": " + embedded + "\n  vs " + counted);
        }
        assertThat(embedded.subjects())
            .as("seed %d round %d", TestSeed.RUN, round)
            .isEqualTo(
                BruteForceDiff.subjects(
                    inForce,
                    proposed,
                    subjects,
                    actions,
                    embedded.byTags(),
                    options.samples(),
                    docs));
        exposing += embedded.isEmpty() ? 0 : 1;
      }
      // The largest filter a diff asks for is counted alike; a deeper one the cluster refuses,
      // which is why PolicyDiff checks the size first.
      List<String> tags = tagsWithValues(schema);
      Filter largest = largest();
      Breakdown onLucene =
          LuceneIndex.readCommitted(lucene, s -> s.diffIndex().breakdown(largest, tags, 5));
      assertThat(onLucene.documents()).isPositive();
      Breakdown onCluster =
          cluster.withSnapshot(Cancellation.NONE, s -> s.diffIndex().breakdown(largest, tags, 5));
      assertThat(onCluster).isEqualTo(onLucene);
      Filter deeper =
          Filter.or(Filter.term("owner", "x"), Filter.and(Filter.exists("region"), largest));
      for (int i = 0; i < 4; i++) {
        deeper =
            Filter.or(Filter.term("owner", "y" + i), Filter.and(Filter.exists("region"), deeper));
      }
      Filter tooDeep = deeper;
      assertThatThrownBy(
              () ->
                  cluster.withSnapshot(
                      Cancellation.NONE, s -> s.diffIndex().breakdown(tooDeep, tags, 5)))
          .isInstanceOf(ContextException.class)
          // nested past indices.query.bool.max_nested_depth (30): refused as it is parsed
          .hasMessageContaining("the cluster refused POST")
          .hasMessageContaining(": 400 x_content_parse_exception");
    }
    assertThat(differences).as("differences between the backends").isEmpty();
    assertThat(exposing).as("rounds whose change exposed or hid something").isGreaterThan(3);
  }

  /**
   * A filter of {@link DiffIndex#MAX_NODES} nodes and {@link DiffIndex#MAX_DEPTH} deep, the largest
   * PolicyDiff sends: or/and alternating down to one owner, beside pairs of conditions that do not
   * merge.
   */
  static Filter largest() {
    Filter deep = Filter.term("owner", "alice");
    int nodes = 1;
    for (int depth = 2; depth < DiffIndex.MAX_DEPTH; depth++) {
      deep =
          depth % 2 == 0
              ? Filter.or(Filter.term("owner", "o" + depth), deep)
              : Filter.and(Filter.exists("department"), deep);
      nodes += 2;
    }
    List<Filter> top = new ArrayList<>(List.of(deep));
    nodes++; // the top or
    for (int i = 0; nodes + 3 <= DiffIndex.MAX_NODES; i++, nodes += 3) {
      top.add(Filter.and(Filter.term("owner", "p" + i), Filter.term("region", "eu")));
    }
    for (int i = 0; nodes < DiffIndex.MAX_NODES; i++, nodes++) {
      top.add(Filter.exists(List.of("source", "topics").get(i)));
    }
    Filter f = Filter.or(top);
    assertThat(f).isInstanceOf(Filter.Or.class);
    return f;
  }

  /**
   * A proposed schema that adds a level below all others shifts every rank the index was written
   * with: levels are compared by name, so unchanged policies still diff to nothing, and a change is
   * counted by what the documents are called.
   */
  @Test
  void levelsAreComparedByNameWhenTheProposedSchemaShiftsTheirRanks() throws Exception {
    PolicySet inForce = EXAMPLE.load();
    String schema =
        Files.readString(EXAMPLE.schemaFile())
            .replace("values: [public, internal,", "values: [unlisted, public, internal,");
    List<PolicySource> policies = EXAMPLE.policyFiles().stream().map(PolicySource::read).toList();
    PolicySet shifted = PolicySet.parse(new PolicySource("schema.yaml", schema), policies);
    assertThat(shifted.schema().tag("classification").orElseThrow().rank("public")).isEqualTo(1);

    Random r = TestSeed.random("shifted-levels");
    Map<String, Map<String, Object>> docs = new LinkedHashMap<>();
    for (int i = 0; i < 200; i++) {
      Map<String, Object> tags = exampleDoc(r);
      docs.put(TestPacks.idFor(tags, "doc-" + i), tags);
    }
    Path dir = index(tmp.resolve("shifted"), inForce.schema(), docs, r);
    List<DiffSubject> subjects = DiffSubjects.of(PrincipalDirectory.load(EXAMPLE.principalsFile()));
    DiffReport unchanged =
        LuceneIndex.readCommitted(
            dir,
            s ->
                PolicyDiff.compute(
                    inForce, shifted, subjects, DiffOptions.defaults(), s.diffIndex()));
    assertThat(unchanged.isEmpty()).isTrue();

    List<PolicySource> widened = new ArrayList<>(policies);
    widened.set(
        0,
        new PolicySource(
            "00-baseline.yaml",
            policies.get(0).content().replace("<= 'confidential'\n", "<= 'restricted'\n")));
    PolicySet widenedShifted = PolicySet.parse(new PolicySource("schema.yaml", schema), widened);
    DiffReport report =
        LuceneIndex.readCommitted(
            dir,
            s ->
                PolicyDiff.compute(
                    inForce, widenedShifted, subjects, DiffOptions.defaults(), s.diffIndex()));
    assertThat(report.gateTripped()).isTrue();
    assertThat(report.subjects())
        .isEqualTo(
            BruteForceDiff.subjects(
                inForce, widenedShifted, subjects, List.of(Action.READ), report.byTags(), 3, docs));
  }

  /** Random valid tags of the example schema, owners among the example's principals. */
  static Map<String, Object> exampleDoc(Random r) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put(
        "classification",
        List.of("public", "internal", "confidential", "restricted").get(r.nextInt(4)));
    t.put(
        "department",
        some(r, List.of("engineering", "hr", "finance", "legal", "sales", "all-staff"), 1));
    List<String> topics =
        some(
            r,
            List.of("compensation", "payroll", "forecast", "customers", "litigation", "handbook"),
            0);
    if (!topics.isEmpty()) {
      t.put("topics", topics);
    }
    if (r.nextInt(3) == 0) {
      t.put("owner", PEOPLE.get(r.nextInt(PEOPLE.size())));
    }
    if (r.nextBoolean()) {
      t.put("region", List.of("eu", "us", "apac", "global").get(r.nextInt(4)));
    }
    if (r.nextInt(4) == 0) {
      t.put("source", List.of("intranet", "hr-system", "legal-dms", "crm").get(r.nextInt(4)));
    }
    return t;
  }

  private static List<String> some(Random r, List<String> from, int atLeast) {
    List<String> out = new ArrayList<>();
    for (String v : from) {
      if (r.nextInt(3) == 0) {
        out.add(v);
      }
    }
    if (out.size() < atLeast) {
      out.add(from.get(r.nextInt(from.size())));
    }
    return out;
  }

  /**
   * The example pack after one to three random edits: a policy's effect flipped, a policy dropped,
   * a level in a condition raised, a conjunction loosened, or an action added.
   */
  static PolicySet edited(Random r) throws Exception {
    List<String> files = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (Path p : EXAMPLE.policyFiles()) {
      files.add(Files.readString(p));
      names.add(p.getFileName().toString());
    }
    for (int tries = 0; ; tries++) {
      List<String> edited = new ArrayList<>(files);
      for (int e = 0, n = 1 + r.nextInt(3); e < n; e++) {
        int f = r.nextInt(edited.size());
        edited.set(f, edit(edited.get(f), r));
      }
      try {
        List<PolicySource> sources = new ArrayList<>();
        for (int i = 0; i < edited.size(); i++) {
          sources.add(new PolicySource(names.get(i), edited.get(i)));
        }
        return PolicySet.parse(PolicySource.read(EXAMPLE.schemaFile()), sources);
      } catch (PolicyLoadException refused) {
        if (tries > 50) {
          throw refused;
        }
      }
    }
  }

  private static String edit(String yaml, Random r) {
    return switch (r.nextInt(5)) {
      case 0 -> nth(yaml, r, "effect: allow", "effect: deny", "effect: deny", "effect: allow");
      case 1 -> {
        List<Integer> starts = new ArrayList<>();
        for (int i = yaml.indexOf("- id:"); i >= 0; i = yaml.indexOf("- id:", i + 1)) {
          starts.add(i);
        }
        if (starts.size() < 2) {
          yield yaml;
        }
        int k = r.nextInt(starts.size());
        int end = k + 1 < starts.size() ? starts.get(k + 1) : yaml.length();
        yield yaml.substring(0, starts.get(k)) + yaml.substring(end);
      }
      case 2 -> nth(yaml, r, "'internal'", "'confidential'", "'confidential'", "'restricted'");
      case 3 -> nth(yaml, r, " && ", " || ", " && ", " || ");
      default ->
          nth(yaml, r, "actions: [read]", "actions: [read, train]", "[read, train", "[train");
    };
  }

  /**
   * Replaces one random occurrence of {@code a} by {@code a2}, or else of {@code b} by {@code b2}.
   */
  private static String nth(String s, Random r, String a, String a2, String b, String b2) {
    String from = r.nextBoolean() ? a : b;
    String to = from.equals(a) ? a2 : b2;
    List<Integer> at = new ArrayList<>();
    for (int i = s.indexOf(from); i >= 0; i = s.indexOf(from, i + 1)) {
      at.add(i);
    }
    if (at.isEmpty()) {
      return s;
    }
    int i = at.get(r.nextInt(at.size()));
    return s.substring(0, i) + to + s.substring(i + from.length());
  }
}
