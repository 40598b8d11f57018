package dev.anvil.bench;

import dev.anvil.rbac.Action;
import dev.anvil.rbac.CompiledFilter;
import dev.anvil.rbac.Decision;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.TagDefinition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of the rbac hot paths on the example policy pack (24 policies when last counted): deciding
 * one document, compiling a principal's filter cold and from the cache, and evaluating a compiled
 * filter on one document (the in-memory baseline for what an index does per document).
 *
 * <p>{@code principal=alice} is in one group; {@code principal=wide} is alice in 500 groups.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class PolicyBenchmark {

  @Param({"alice", "wide"})
  public String principal;

  private PolicySet set;
  private Principal who;
  private CompiledFilter filter;
  private DocTags[] docs;
  private int next;

  @Setup
  public void setup() {
    PolicyPack pack = new PolicyPack(findExamplePack());
    set = pack.load();
    Principal alice = PrincipalDirectory.load(pack.principalsFile()).find("alice").orElseThrow();
    if (principal.equals("wide")) {
      Set<String> groups = new HashSet<>(alice.groups());
      for (int i = 0; i < 500; i++) {
        groups.add("team-" + i);
      }
      who = new Principal(alice.subject(), alice.roles(), groups, alice.attributes());
    } else {
      who = alice;
    }
    filter = set.compile(who, Action.READ);
    docs = randomDocs(set, 4096, 42).toArray(DocTags[]::new);
  }

  @Benchmark
  public Decision decidePerDocument() {
    return set.decide(who, Action.READ, docs[next++ & (docs.length - 1)]);
  }

  @Benchmark
  public boolean compiledFilterPerDocument() {
    return filter.filter().matches(docs[next++ & (docs.length - 1)]);
  }

  @Benchmark
  public CompiledFilter compileCold() {
    return set.compileUncached(who, Action.READ);
  }

  @Benchmark
  public CompiledFilter compileCached() {
    return set.compile(who, Action.READ);
  }

  /** Random documents that satisfy the schema, reproducible from the seed. */
  static List<DocTags> randomDocs(PolicySet set, int n, long seed) {
    Random r = new Random(seed);
    List<DocTags> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Map<String, Object> raw = new HashMap<>();
      for (TagDefinition t : set.schema().tags()) {
        if (!t.required() && r.nextBoolean()) {
          continue;
        }
        raw.put(
            t.name(),
            switch (t.type()) {
              case SET -> {
                List<String> members = new ArrayList<>();
                for (String v : t.values()) {
                  if (r.nextInt(t.values().size()) == 0) {
                    members.add(v);
                  }
                }
                if (members.isEmpty()) {
                  members.add(t.values().get(r.nextInt(t.values().size())));
                }
                yield members;
              }
              case ORDERED, ENUM -> t.values().get(r.nextInt(t.values().size()));
              case PRINCIPAL -> List.of("alice", "bob", "carl").get(r.nextInt(3));
              case STRING -> "wiki";
            });
      }
      out.add(set.schema().validate(raw));
    }
    return out;
  }

  static Path findExamplePack() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("examples/policy-pack"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("run the benchmarks from inside the Anvil repository");
    }
    return dir.resolve("examples/policy-pack");
  }
}
