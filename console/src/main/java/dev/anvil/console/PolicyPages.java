package dev.anvil.console;

import dev.anvil.context.admin.PolicyReview;
import dev.anvil.context.api.AdminDeniedException;
import dev.anvil.context.api.Cancellation;
import dev.anvil.context.api.InvalidRequestException;
import dev.anvil.context.grpc.PolicyDiffMessages;
import dev.anvil.context.grpc.v1.PolicyDiffRequest;
import dev.anvil.context.grpc.v1.PolicyFile;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.Explanation;
import dev.anvil.rbac.Policy;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.diff.Breakdown;
import dev.anvil.rbac.diff.DiffReport;
import dev.anvil.rbac.diff.SubjectDiff;
import dev.anvil.rbac.input.PolicyLoadException;
import dev.anvil.rbac.input.Problem;
import dev.anvil.rbac.input.RbacException;
import dev.anvil.rbac.policytest.PolicyTestRunner;
import dev.anvil.rbac.schema.TagDefinition;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.Part;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The policy pages: the pack in force and the pack on disk validated; a diff against a proposed
 * pack (the engine's {@link PolicyReview}, as {@code anvil policy diff} and the gRPC call do); and
 * the explanation of one decision.
 */
final class PolicyPages {
  private PolicyPages() {}

  /** A proposal's directory name under the proposals directory: no separators, no dot-dot. */
  private static final Pattern PROPOSAL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  static Html pack(Page page) {
    PolicySet set = page.backend().engine().policies().current();
    PolicyPack pack = page.options().pack();
    Html h = new Html();
    h.el("h1", "Policy pack").raw("<p>In force: <code id=\"version\">").text(set.version());
    h.raw("</code></p><h2>Validation of the pack on disk</h2>");
    try {
      PolicySet onDisk = pack.load();
      h.raw("<p class=\"ok\" id=\"validation\">valid: ")
          .text(onDisk.version())
          .text(
              onDisk.version().equals(set.version())
                  ? " (the set in force)"
                  : " (differs from the set in force: reload to apply)")
          .raw("</p>");
    } catch (PolicyLoadException e) {
      problems(h, e, "the pack on disk does not load; the set in force stays");
    }
    h.el("h2", "Tags").raw("<table>").head("tag", "type", "values", "required", "description");
    for (TagDefinition t : set.schema().tags()) {
      h.row(t.name(), t.type().id(), String.join(", ", t.values()), t.required(), t.description());
    }
    h.raw("</table>").el("h2", "Policies").raw("<table id=\"policies\">");
    h.head("id", "effect", "actions", "when", "where", "description");
    for (Policy p : set.policies()) {
      h.row(
          p.id(),
          p.effect().id(),
          p.actions().stream().map(Action::id).sorted().collect(Collectors.joining(", ")),
          p.condition(),
          p.location(),
          p.description());
    }
    return h.raw("</table>");
  }

  private static void problems(Html h, PolicyLoadException e, String what) {
    h.raw("<p class=\"bad\" id=\"validation\">").text(what).raw(":</p><ul id=\"problems\">");
    for (Problem p : e.problems()) {
      h.el("li", p.toString());
    }
    h.raw("</ul>");
  }

  static Html diffForm(Page page) {
    Html h = new Html();
    h.el("h1", "Diff a proposed pack")
        .raw("<p>What replacing the set in force with a proposed pack would expose and hide, per")
        .raw(" principal, over the index (as <code>anvil policy diff</code>).</p>")
        .raw("<form method=\"post\" action=\"/diff\" enctype=\"multipart/form-data\">")
        .hidden("csrf", page.session().csrf())
        .raw("<fieldset><legend>Upload</legend>")
        .raw("<label>schema.yaml <input type=\"file\" name=\"schema\" id=\"schema\"></label><br>")
        .raw("<label>policies/*.yaml <input type=\"file\" name=\"policies\" id=\"policies\"")
        .raw(" multiple></label><br>")
        .raw("<label>principals.yaml (optional) <input type=\"file\" name=\"principals\"")
        .raw(" id=\"principals\"></label></fieldset>");
    if (page.options().proposals().isPresent()) {
      h.raw("<fieldset><legend>Or a proposal on the server</legend>")
          .input("directory under " + page.options().proposals().get(), "path", "")
          .raw("</fieldset>");
    }
    return h.raw("<button type=\"submit\" id=\"run-diff\">Diff</button></form>");
  }

  static Html diff(Page page) {
    Html h = new Html();
    h.el("h1", "Policy diff");
    PolicyReview.Session review;
    try {
      // Who may review is decided first: a caller who may not learns nothing of the proposal.
      review = page.backend().engine().policyReview().open(page.session().identity().principal());
    } catch (AdminDeniedException e) {
      page.audit("policy_diff", "", List.of(), "PERMISSION_DENIED");
      return h.raw("<p class=\"bad\" id=\"diff-error\">").text(e.getMessage()).raw("</p>");
    }
    try {
      PolicyDiffRequest request = request(page);
      PolicyDiffMessages.Proposal proposal = PolicyDiffMessages.proposal(request);
      DiffReport report =
          review.diff(
              proposal.proposed(), proposal.subjects(), proposal.options(), Cancellation.NONE);
      page.audit("policy_diff", report.proposedVersion(), sampled(report), "OK");
      return report(h, report);
    } catch (PolicyLoadException e) {
      page.audit("policy_diff", "", List.of(), "OK");
      problems(h, e, "the proposed pack does not load");
      return h;
    } catch (InvalidRequestException | RbacException | Page.BadInput e) {
      page.audit("policy_diff", "", List.of(), "INVALID_ARGUMENT");
      return h.raw("<p class=\"bad\" id=\"diff-error\">").text(e.getMessage()).raw("</p>");
    }
  }

  private static PolicyDiffRequest request(Page page) {
    Optional<Path> inForcePrincipals =
        Optional.of(page.options().pack().principalsFile()).filter(Files::isRegularFile);
    String path = page.param("path", 128);
    if (!path.isEmpty()) {
      Path root =
          page.options()
              .proposals()
              .orElseThrow(() -> new Page.BadInput("path: no proposals directory is configured"));
      if (!PROPOSAL.matcher(path).matches()) {
        throw new Page.BadInput(
            "path: expected the name of a directory under "
                + root
                + " (letters, digits, '.', '_', '-'), was '"
                + path
                + "'");
      }
      Path dir = root.resolve(path).normalize();
      if (!dir.startsWith(root.normalize()) || !Files.isDirectory(dir)) {
        throw new Page.BadInput("path: no proposal '" + path + "' under " + root);
      }
      return PolicyDiffMessages.request(new PolicyPack(dir), inForcePrincipals).build();
    }
    PolicyDiffRequest.Builder b = PolicyDiffRequest.newBuilder();
    try {
      List<Part> parts = List.copyOf(page.request().getParts());
      for (Part p : parts) {
        if (p.getSubmittedFileName() == null || p.getSubmittedFileName().isEmpty()) {
          continue;
        }
        String name = fileName(p.getSubmittedFileName());
        PolicyFile file = PolicyFile.newBuilder().setName(name).setContent(utf8(p, name)).build();
        switch (p.getName()) {
          case "schema" -> b.setSchema(file.toBuilder().setName("schema.yaml"));
          case "policies" -> b.addPolicies(file.toBuilder().setName("policies/" + name));
          case "principals" -> b.setPrincipals(file.toBuilder().setName("principals.yaml"));
          default -> throw new Page.BadInput("unexpected file field '" + p.getName() + "'");
        }
      }
    } catch (IOException | ServletException | IllegalStateException e) {
      throw new Page.BadInput("upload: " + e.getMessage());
    }
    inForcePrincipals.ifPresent(
        f -> {
          try {
            b.setInForcePrincipals(
                PolicyFile.newBuilder()
                    .setName(f.getFileName().toString())
                    .setContent(Files.readString(f)));
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
    return b.build();
  }

  /** The last segment of a browser's file name (some send a path). */
  private static String fileName(String submitted) {
    String s = submitted.replace('\\', '/');
    return s.substring(s.lastIndexOf('/') + 1);
  }

  private static String utf8(Part p, String name) throws IOException {
    try (InputStream in = p.getInputStream()) {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(in.readAllBytes()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new Page.BadInput(name + ": not UTF-8 text");
    }
  }

  private static Html report(Html h, DiffReport r) {
    h.raw("<p>In force <code>")
        .text(r.inForceVersion())
        .raw("</code> → proposed <code id=\"proposed\">")
        .text(r.proposedVersion())
        .raw("</code></p>");
    if (r.gateTripped()) {
      h.raw("<p class=\"bad\" id=\"gate\">The change newly exposes documents at or above ")
          .text(r.gate().map(g -> g.tag() + " " + g.level()).orElse(""))
          .raw(".</p>");
    }
    if (r.isEmpty()) {
      return h.raw("<p id=\"no-change\">No one would see more or less.</p>");
    }
    h.raw("<table id=\"diff\">").head("subject", "kind", "action", "newly exposed", "hidden");
    for (SubjectDiff s : r.subjects()) {
      if (s.isEmpty()) {
        continue;
      }
      h.row(
          s.subject().name(),
          s.subject().kind().name().toLowerCase(java.util.Locale.ROOT),
          s.action().id(),
          breakdown(s.exposed()),
          breakdown(s.hidden()));
    }
    return h.raw("</table>");
  }

  private static String breakdown(Breakdown b) {
    if (b.documents() == 0) {
      return "";
    }
    return b.documents()
        + " document"
        + (b.documents() == 1 ? "" : "s")
        + (b.samples().isEmpty() ? "" : ", e.g. " + String.join(", ", b.samples()));
  }

  private static List<String> sampled(DiffReport report) {
    SortedSet<String> ids = new TreeSet<>();
    for (SubjectDiff s : report.subjects()) {
      for (Breakdown b : List.of(s.exposed(), s.hidden())) {
        ids.addAll(b.samples());
        b.byTag().forEach(t -> t.buckets().forEach(x -> ids.addAll(x.samples())));
      }
    }
    return List.copyOf(ids);
  }

  static Html explain(Page page) {
    Html h = new Html();
    String name = page.param("principal", 256);
    String doc = page.param("document", dev.anvil.context.api.Document.MAX_ID_LENGTH);
    String action = page.param("action", 32);
    h.el("h1", "Explain a decision")
        .raw("<form method=\"get\" action=\"/explain\">")
        .input("principal (principals.yaml)", "principal", name)
        .input("document id", "document", doc)
        .input("action", "action", action.isEmpty() ? "read" : action)
        .raw("<button type=\"submit\" id=\"run-explain\">Explain</button></form>");
    if (name.isEmpty() || doc.isEmpty()) {
      return h;
    }
    PolicySet set = page.backend().engine().policies().current();
    Optional<Action> act = Action.fromId(action.isEmpty() ? "read" : action);
    if (act.isEmpty() || !act.get().onTags()) {
      return h.raw("<p class=\"bad\">")
          .text("action: expected one decided on a document's tags, was '" + action + "'")
          .raw("</p>");
    }
    PrincipalDirectory people = PrincipalDirectory.load(page.options().pack().principalsFile());
    Optional<Principal> who = people.find(name);
    if (who.isEmpty()) {
      return h.raw("<p class=\"bad\">")
          .text("principal: no '" + name + "' in " + page.options().pack().principalsFile())
          .raw("</p>");
    }
    Optional<Map<String, Object>> tags =
        page.backend().engine().tagsForExplanation(page.session().identity().principal(), doc);
    page.audit("console_explain", "", List.of(doc), tags.isPresent() ? "OK" : "NOT_FOUND");
    if (tags.isEmpty()) {
      return h.raw("<p class=\"bad\">").text("document: no '" + doc + "' in the index").raw("</p>");
    }
    Explanation ex = set.explain(who.get(), act.get(), set.schema().validate(tags.get()));
    h.raw("<p>Decision: <strong id=\"decision\">")
        .text(PolicyTestRunner.describe(ex.decision()))
        .raw("</strong> (policy set ")
        .text(set.version())
        .raw(")</p><p>Document tags: <code>")
        .text(new java.util.TreeMap<>(tags.get()))
        .raw("</code></p><table id=\"traces\">")
        .head("effect", "policy", "outcome", "applies", "checks");
    for (Explanation.PolicyTrace t : ex.policies()) {
      h.row(
          t.policy().effect().id(),
          t.policy().id(),
          t.outcome().name().toLowerCase(java.util.Locale.ROOT)
              + (t.error().isEmpty() ? "" : " (error: " + t.error() + ")"),
          t.applies() ? "applies" : "",
          t.checks().stream()
              .map(c -> c.expression() + " => " + c.value())
              .collect(Collectors.joining("; ")));
    }
    h.raw("</table>");
    if (ex.policies().isEmpty()) {
      h.el("p", "No policy governs action '" + act.get() + "': denied by default.");
    }
    return h;
  }
}
