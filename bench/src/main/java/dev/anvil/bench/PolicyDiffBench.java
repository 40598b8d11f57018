package dev.anvil.bench;

import dev.anvil.context.api.Document;
import dev.anvil.context.index.ChunkRecord;
import dev.anvil.context.index.LuceneIndex;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.diff.DiffOptions;
import dev.anvil.rbac.diff.DiffReport;
import dev.anvil.rbac.diff.DiffSubject;
import dev.anvil.rbac.diff.DiffSubjects;
import dev.anvil.rbac.diff.PolicyDiff;
import dev.anvil.rbac.diff.SubjectDiff;
import dev.anvil.rbac.filter.Filter;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.TagSchema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * How long a policy diff takes over a generated index, and what deciding every document in Java
 * would cost instead (not JMH: one diff is a whole-index operation, timed as a user runs it).
 *
 * <p>Writes, in DIR, an index of CHUNKS chunks (4 per document, example-pack tags drawn from a
 * fixed seed) and {@code proposed/}: the example pack with departments reading up to restricted and
 * without all-staff-internal. Then diffs it against the example pack for every principal and
 * combination (read), cold and then warm (the JIT takes a few runs); diffs the example pack against
 * itself; and decides every document with both sets, checking that both ways count the same.
 *
 * <p>{@code java -cp bench/target/benchmarks.jar dev.anvil.bench.PolicyDiffBench [CHUNKS] [DIR]}:
 * an index already in DIR is reused. The CLI on the same files: {@code ./anvil policy diff
 * examples/policy-pack DIR/proposed --index DIR/index}.
 */
public final class PolicyDiffBench {
  private static final int CHUNKS_PER_DOC = 4;
  private static final java.lang.management.ThreadMXBean CPU =
      java.lang.management.ManagementFactory.getThreadMXBean();

  private PolicyDiffBench() {}

  public static void main(String[] args) throws Exception {
    int chunks = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    Path dir = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("anvil-diff-bench");
    PolicyPack example = new PolicyPack(PolicyBenchmark.findExamplePack());
    PolicySet inForce = example.load();
    Path index = dir.resolve("index");
    if (!Files.isDirectory(index)) {
      long t = System.nanoTime();
      write(index, inForce.schema(), chunks / CHUNKS_PER_DOC);
      System.out.printf("wrote %d chunks in %.1f s%n", chunks, (System.nanoTime() - t) / 1e9);
    }
    PolicySet proposed = new PolicyPack(proposedPack(example, dir.resolve("proposed"))).load();
    List<DiffSubject> subjects = DiffSubjects.of(PrincipalDirectory.load(example.principalsFile()));
    System.out.printf("index %s, %d subjects, action read%n", index, subjects.size());

    DiffReport report = null;
    double[] ms = new double[16];
    double[] cpu = new double[ms.length];
    for (int i = 0; i < ms.length; i++) {
      long t = System.nanoTime();
      long c = CPU.getCurrentThreadCpuTime();
      report = diff(index, inForce, proposed, subjects);
      ms[i] = (System.nanoTime() - t) / 1e6;
      cpu[i] = (CPU.getCurrentThreadCpuTime() - c) / 1e6;
    }
    // CPU time beside wall time: on a shared machine the wall time says as much about the others.
    System.out.printf(
        "diff, changed pack: first %.0f ms (CPU %.0f ms), warm (median of the last 10) %.0f ms"
            + " (CPU %.0f ms); wall times %s%n",
        ms[0],
        cpu[0],
        median(Arrays.copyOfRange(ms, ms.length - 10, ms.length)),
        median(Arrays.copyOfRange(cpu, cpu.length - 10, cpu.length)),
        Arrays.toString(round(ms)));
    long exposed = report.subjects().stream().mapToLong(s -> s.exposed().documents()).sum();
    long hidden = report.subjects().stream().mapToLong(s -> s.hidden().documents()).sum();
    System.out.printf(
        "  %d subject entries, %d newly exposed and %d newly hidden (subject, document) pairs,"
            + " gate tripped: %s%n",
        report.subjects().size(), exposed, hidden, report.gateTripped());

    double[] same = new double[10];
    for (int i = 0; i < same.length; i++) {
      long c = CPU.getCurrentThreadCpuTime();
      diff(index, inForce, inForce, subjects);
      same[i] = (CPU.getCurrentThreadCpuTime() - c) / 1e6;
    }
    System.out.printf("diff, identical pack: median CPU %.1f ms%n", median(same));

    long c = CPU.getCurrentThreadCpuTime();
    Map<String, Map<String, Object>> docs = readAll(index, inForce.schema(), chunks);
    double readMs = (CPU.getCurrentThreadCpuTime() - c) / 1e6;
    c = CPU.getCurrentThreadCpuTime();
    boolean agrees = bruteForceAgrees(report, inForce, proposed, docs);
    double decideMs = (CPU.getCurrentThreadCpuTime() - c) / 1e6;
    System.out.printf(
        "deciding every document in Java instead: CPU %.0f ms to read %d documents' tags + %.0f ms"
            + " to decide them with both sets for every subject (same counts: %s)%n",
        readMs, docs.size(), decideMs, agrees);
  }

  static DiffReport diff(Path index, PolicySet before, PolicySet after, List<DiffSubject> who) {
    return LuceneIndex.readCommitted(
        index, s -> PolicyDiff.compute(before, after, who, DiffOptions.defaults(), s.diffIndex()));
  }

  /** The example pack with departments widened to restricted and all-staff-internal removed. */
  static Path proposedPack(PolicyPack example, Path copy) throws IOException {
    try (Stream<Path> files = Files.walk(example.dir())) {
      for (Path f : files.toList()) {
        Path target = copy.resolve(example.dir().relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    Path baseline = copy.resolve("policies/00-baseline.yaml");
    String y =
        Files.readString(baseline)
            .replace(
                "doc.classification <= 'confidential'\n", "doc.classification <= 'restricted'\n");
    Files.writeString(
        baseline,
        y.substring(0, y.indexOf("- id: all-staff-internal"))
            + y.substring(y.indexOf("- id: department-confidential")));
    return copy;
  }

  private static void write(Path dir, TagSchema schema, int docs) {
    Random r = new Random(20261207);
    List<String> people = List.of("alice", "hannah", "harry", "frank", "erin", "lena", "rita");
    try (LuceneIndex index = LuceneIndex.open(dir, "bench", "bench")) {
      for (int i = 0; i < docs; i++) {
        Map<String, Object> tags = new LinkedHashMap<>();
        tags.put("classification", pick(r, "public", "internal", "confidential", "restricted"));
        List<String> depts = new ArrayList<>(List.of(pick(r, DEPARTMENTS)));
        if (r.nextInt(4) == 0) {
          depts.add(pick(r, DEPARTMENTS));
        }
        tags.put("department", depts);
        if (r.nextBoolean()) {
          tags.put("topics", List.of(pick(r, TOPICS)));
        }
        if (r.nextInt(5) == 0) {
          tags.put("owner", people.get(r.nextInt(people.size())));
        }
        if (r.nextBoolean()) {
          tags.put("region", pick(r, "eu", "us", "apac", "global"));
        }
        String id = String.format("doc-%06d", i);
        if (r.nextInt(4) == 0) {
          String source = pick(r, "intranet", "hr-system", "legal-dms", "crm");
          tags.put("source", source);
          id = source + "/" + id;
        }
        List<String> texts = new ArrayList<>();
        float[][] vectors = new float[CHUNKS_PER_DOC][];
        for (int c = 0; c < CHUNKS_PER_DOC; c++) {
          texts.add("part " + c + " of " + id);
          float a = r.nextFloat() * 6.2831855f;
          vectors[c] = new float[] {(float) Math.cos(a), (float) Math.sin(a)};
        }
        index.upsert(
            new Document(id, 1, id, String.join(" ", texts), "bench://" + id, tags),
            schema.validate(tags),
            texts,
            new int[CHUNKS_PER_DOC],
            vectors);
        if ((i + 1) % 5_000 == 0) {
          index.commit();
        }
      }
      index.commit();
    }
  }

  private static final String[] DEPARTMENTS = {
    "engineering", "hr", "finance", "legal", "sales", "all-staff"
  };
  private static final String[] TOPICS = {
    "compensation", "payroll", "forecast", "customers", "litigation", "handbook", "architecture"
  };

  private static String pick(Random r, String... values) {
    return values[r.nextInt(values.length)];
  }

  /** Every document's raw tags, read back from the stored fields of its first chunk. */
  private static Map<String, Map<String, Object>> readAll(
      Path index, TagSchema schema, int chunks) {
    return LuceneIndex.readCommitted(
        index,
        s -> {
          Map<String, Map<String, Object>> docs = new LinkedHashMap<>();
          for (int doc : s.byDocumentId(Filter.all(), "", chunks + 1)) {
            ChunkRecord c = s.read(doc, schema);
            docs.putIfAbsent(c.id(), c.rawTags());
          }
          return docs;
        });
  }

  /** Decides every document with both sets for every subject; true if the counts agree. */
  private static boolean bruteForceAgrees(
      DiffReport report, PolicySet before, PolicySet after, Map<String, Map<String, Object>> docs) {
    List<DocTags> tags = docs.values().stream().map(t -> after.schema().validate(t)).toList();
    boolean agrees = true;
    for (SubjectDiff s : report.subjects()) {
      long exposed = 0;
      long hidden = 0;
      for (DocTags d : tags) {
        boolean was = before.decide(s.subject().principal(), Action.READ, d).permitted();
        boolean is = after.decide(s.subject().principal(), Action.READ, d).permitted();
        exposed += is && !was ? 1 : 0;
        hidden += was && !is ? 1 : 0;
      }
      agrees &= exposed == s.exposed().documents() && hidden == s.hidden().documents();
    }
    return agrees;
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private static long[] round(double[] xs) {
    return Arrays.stream(xs).mapToLong(Math::round).toArray();
  }
}
