package dev.anvil.cli;

import dev.anvil.rbac.Action;
import dev.anvil.rbac.CompiledFilter;
import dev.anvil.rbac.Explanation;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.filter.FilterFormat;
import dev.anvil.rbac.input.PolicyLoadException;
import dev.anvil.rbac.input.PolicySource;
import dev.anvil.rbac.input.Problem;
import dev.anvil.rbac.input.RbacException;
import dev.anvil.rbac.policytest.PolicyTest;
import dev.anvil.rbac.policytest.PolicyTestRunner;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.TagSchema;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anvil policy ...}: tools for security admins. */
@Command(
    name = "policy",
    description = "Validate, test, explain, compile and diff policies.",
    mixinStandardHelpOptions = true,
    subcommands = {
      PolicyCommand.Validate.class,
      PolicyCommand.Test.class,
      PolicyCommand.Explain.class,
      PolicyCommand.Compile.class,
      PolicyDiffCommand.class
    })
final class PolicyCommand {

  /** {@code --pack DIR}, defaulting to the example pack of this installation. */
  static final class PackOption {
    @Option(
        names = "--pack",
        paramLabel = "DIR",
        description =
            "Policy pack directory (schema.yaml, policies/, principals.yaml, tests/). Default:"
                + " the example pack.")
    Path pack;

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    PolicyPack pack() {
      if (pack != null) {
        return new PolicyPack(pack);
      }
      String home = System.getenv().getOrDefault("ANVIL_HOME", ".");
      return new PolicyPack(Path.of(home, "examples", "policy-pack"));
    }

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    PrintWriter err() {
      return spec.commandLine().getErr();
    }

    /** Loads the pack's policy set, printing located problems and returning null when refused. */
    PolicySet loadOrReport() {
      try {
        return pack().load();
      } catch (PolicyLoadException e) {
        report(e);
        return null;
      }
    }

    void report(PolicyLoadException e) {
      for (Problem p : e.problems()) {
        err().println(p);
      }
      err()
          .println(
              "refused: "
                  + e.problems().size()
                  + " problem"
                  + (e.problems().size() == 1 ? "" : "s"));
    }
  }

  /** Who asks: a named principal, or one spelled out on the command line. */
  static final class PrincipalOptions {
    @Option(names = "--as", paramLabel = "NAME", description = "A principal from principals.yaml.")
    String as;

    @Option(names = "--subject", paramLabel = "ID", description = "Subject of an ad-hoc principal.")
    String subject;

    @Option(names = "--role", paramLabel = "ROLE", description = "A role (repeatable).")
    List<String> roles = new ArrayList<>();

    @Option(names = "--group", paramLabel = "GROUP", description = "A group (repeatable).")
    List<String> groups = new ArrayList<>();

    @Option(
        names = "--attr",
        paramLabel = "KEY=VALUE",
        description = "An attribute (repeatable; repeat a key for several values).")
    List<String> attributes = new ArrayList<>();

    @Option(
        names = "--token",
        paramLabel = "JWT",
        description =
            "A bearer token, verified against --issuer (or --dev); '-' for the token saved by anvil login.")
    String token;

    @Mixin Identities.IssuerOptions issuer;

    /**
     * The bearer token for a server: --token as given, or one the development issuer mints for the
     * principal named otherwise.
     */
    String bearer(PolicyPack pack) {
      return bearer(pack, dev.anvil.identity.DevTokenIssuer.ENGINE_AUDIENCE);
    }

    /** {@link #bearer(PolicyPack)} for the service of {@code audience}. */
    String bearer(PolicyPack pack, String audience) {
      return token != null
          ? Identities.token(token)
          : Identities.devIssuer()
              .mint(resolve(pack), "anvil-cli", java.time.Duration.ofMinutes(30), audience);
    }

    /** Whether a principal was named (--as, --subject or --token). */
    boolean named() {
      return as != null || subject != null || token != null;
    }

    Principal resolve(PolicyPack pack) {
      int given = (as == null ? 0 : 1) + (subject == null ? 0 : 1) + (token == null ? 0 : 1);
      if (given != 1) {
        throw new RbacException(
            "name the principal with exactly one of --as NAME, --subject ID or --token JWT");
      }
      if (token != null) {
        return issuer
            .verifier(() -> TagSchema.load(pack.schemaFile()))
            .verify(Identities.token(token))
            .principal();
      }
      if (as != null) {
        PrincipalDirectory dir = PrincipalDirectory.load(pack.principalsFile());
        Principal p =
            dir.find(as)
                .orElseThrow(
                    () ->
                        new RbacException(
                            "no principal '"
                                + as
                                + "' in "
                                + pack.principalsFile()
                                + " (it defines: "
                                + dir.names()
                                + ")"));
        // As a token would be: several values for a single-valued attribute are refused.
        List<String> problems =
            PrincipalDirectory.singleValueProblems(TagSchema.load(pack.schemaFile()), p);
        if (!problems.isEmpty()) {
          throw new RbacException(
              pack.principalsFile() + ": principal '" + as + "': " + String.join("; ", problems));
        }
        return p;
      }
      Map<String, List<String>> attrs = new TreeMap<>();
      for (String a : attributes) {
        int eq = a.indexOf('=');
        if (eq <= 0) {
          throw new RbacException("--attr " + a + ": expected KEY=VALUE");
        }
        attrs.computeIfAbsent(a.substring(0, eq), k -> new ArrayList<>()).add(a.substring(eq + 1));
      }
      return new Principal(subject, Set.copyOf(roles), Set.copyOf(groups), attrs);
    }
  }

  @Command(
      name = "validate",
      description = "Check the schema and policies; errors as file:line:col.")
  static final class Validate implements Callable<Integer> {
    @Mixin PackOption pack;

    @Override
    public Integer call() {
      PolicySet set = pack.loadOrReport();
      if (set == null) {
        return Main.FAILED;
      }
      pack.out()
          .printf(
              "ok: policy set %s: %d tags, %d principal attributes, %d policies (%s)%n",
              set.version(),
              set.schema().tags().size(),
              set.schema().principalAttributes().size(),
              set.policies().size(),
              pack.pack().dir());
      return 0;
    }
  }

  @Command(name = "test", description = "Run the pack's policy tests (tests/*.yaml).")
  static final class Test implements Callable<Integer> {
    @Mixin PackOption pack;

    @Option(
        names = {"-v", "--verbose"},
        description = "Also list passing tests.")
    boolean verbose;

    @Option(
        names = "--tests",
        paramLabel = "FILE",
        description = "Test files (default: the pack's tests/).")
    List<Path> files = new ArrayList<>();

    @Override
    public Integer call() {
      PolicySet set = pack.loadOrReport();
      if (set == null) {
        return Main.FAILED;
      }
      PolicyPack p = pack.pack();
      List<Path> testFiles = files.isEmpty() ? p.testFiles() : files;
      List<PolicyTest> tests;
      PrincipalDirectory principals = PrincipalDirectory.load(p.principalsFile());
      List<String> bad = principals.check(set.schema());
      if (!bad.isEmpty()) {
        bad.forEach(m -> pack.err().println(p.principalsFile() + ": " + m));
        return Main.FAILED;
      }
      try {
        tests =
            PolicyTestRunner.parse(testFiles.stream().map(PolicySource::read).toList(), principals);
      } catch (PolicyLoadException e) {
        pack.report(e);
        return Main.FAILED;
      }
      int failed = 0;
      for (PolicyTestRunner.Result r : PolicyTestRunner.run(set, tests)) {
        if (!r.passed()) {
          failed++;
          pack.out()
              .printf("FAIL %s %s%n     %s%n", r.test().location(), r.test().name(), r.message());
        } else if (verbose) {
          pack.out().printf("ok   %s (%s)%n", r.test().name(), r.message());
        }
      }
      pack.out()
          .printf(
              "%d tests, %d passed, %d failed (policy set %s)%n",
              tests.size(), tests.size() - failed, failed, set.version());
      return failed == 0 && !tests.isEmpty() ? 0 : Main.FAILED;
    }
  }

  @Command(name = "explain", description = "Show which policies matched a request, and why.")
  static final class Explain implements Callable<Integer> {
    @Mixin PackOption pack;

    @Mixin PrincipalOptions principal;

    @Option(
        names = "--action",
        defaultValue = "read",
        description = "Action (default: ${DEFAULT-VALUE}).")
    String action;

    @Option(
        names = "--tag",
        paramLabel = "TAG=VALUE[,VALUE]",
        description = "A document tag; set tags take comma-separated values (repeatable).")
    Map<String, String> tags = new LinkedHashMap<>();

    @Option(names = "--doc", paramLabel = "FILE", description = "A YAML file of document tags.")
    Path docFile;

    @Override
    public Integer call() throws Exception {
      PolicySet set = pack.loadOrReport();
      if (set == null) {
        return Main.FAILED;
      }
      Principal who = principal.resolve(pack.pack());
      Action act = parseAction(action);
      DocTags doc = set.schema().validate(rawTags(set));
      Explanation ex = set.explain(who, act, doc);
      PrintWriter out = pack.out();
      out.printf("decision:  %s%n", PolicyTestRunner.describe(ex.decision()));
      out.printf("policy:    %s%n", set.version());
      out.printf("principal: %s%n", describe(who));
      out.printf("action:    %s%n", act);
      out.printf("document:  %s%n%n", doc);
      for (Explanation.PolicyTrace t : ex.policies()) {
        out.printf(
            "%-5s %-48s %-5s %s%n",
            t.policy().effect().id(),
            t.policy().id(),
            t.outcome().name().toLowerCase(java.util.Locale.ROOT),
            t.applies() ? "-> applies" : "");
        if (!t.error().isEmpty()) {
          out.printf(
              "      error: %s%s%n",
              t.error(),
              t.policy().effect() == dev.anvil.rbac.Effect.DENY
                  ? " (a deny in error applies: fail closed)"
                  : "");
        }
        for (Explanation.Check c : t.checks()) {
          out.printf("      %s  =>  %s%n", c.expression(), c.value());
        }
      }
      if (ex.policies().isEmpty()) {
        out.printf("no policy governs action '%s': denied by default%n", act);
      }
      return 0;
    }

    private Map<String, Object> rawTags(PolicySet set) {
      Map<String, Object> raw = new TreeMap<>();
      if (docFile != null) {
        raw.putAll(TagSchema.readRawTags(PolicySource.read(docFile)));
      }
      tags.forEach(
          (k, v) -> {
            boolean isSet = set.schema().tag(k).map(t -> !t.isScalar()).orElse(false);
            raw.put(k, isSet ? List.of(v.split(",")) : v);
          });
      return raw;
    }
  }

  @Command(name = "compile", description = "Print the index filter compiled for a principal.")
  static final class Compile implements Callable<Integer> {
    @Mixin PackOption pack;

    @Mixin PrincipalOptions principal;

    @Option(
        names = "--action",
        defaultValue = "read",
        description = "Action (default: ${DEFAULT-VALUE}).")
    String action;

    @Override
    public Integer call() {
      PolicySet set = pack.loadOrReport();
      if (set == null) {
        return Main.FAILED;
      }
      Principal who = principal.resolve(pack.pack());
      CompiledFilter f = set.compile(who, parseAction(action));
      pack.out()
          .printf(
              "# documents %s may %s (policy set %s)%n",
              describe(who), f.action(), f.policyVersion());
      pack.out().print(FilterFormat.tree(f.filter()));
      return 0;
    }
  }

  static Action parseAction(String id) {
    return Action.fromId(id)
        .orElseThrow(
            () ->
                new RbacException(
                    "unknown action '" + id + "' (expected one of: " + Action.allIds() + ")"));
  }

  static String describe(Principal p) {
    return p.subject()
        + " roles="
        + p.roles()
        + " groups="
        + p.groups()
        + " attributes="
        + p.attributes();
  }
}
