package dev.anvil.rbac.diff;

import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.schema.TagSchema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The subjects of a diff, taken from the principals files of the proposed and in-force packs. */
public final class DiffSubjects {
  /**
   * The subject of every combination: longer than any tag value may be ({@link
   * TagSchema#MAX_VALUE_LENGTH}), so no document can name it as its owner and an owner rule never
   * applies to a combination.
   */
  static final String ANONYMOUS = "anonymous-" + "~".repeat(TagSchema.MAX_VALUE_LENGTH);

  private DiffSubjects() {}

  /**
   * The proposed pack's principals in file order; then the in-force pack's principals that the
   * proposed one lacks or defines otherwise (named {@code NAME (in force)} in the second case);
   * then each distinct role/group combination among all of them, in order of first appearance.
   *
   * <p>A combination keeps the attributes it was found with: one combination whose principals hold
   * several attribute sets becomes one subject per set, each named with its attributes, so that no
   * member's clearance is replaced by another's.
   */
  public static List<DiffSubject> of(PrincipalDirectory proposed, PrincipalDirectory inForce) {
    List<DiffSubject> named = new ArrayList<>();
    for (String name : proposed.names()) {
      named.add(named(name, name, proposed.find(name).orElseThrow()));
    }
    for (String name : inForce.names()) {
      Principal old = inForce.find(name).orElseThrow();
      Optional<Principal> now = proposed.find(name);
      if (now.isEmpty()) {
        named.add(named(name, name, old));
      } else if (!now.get().equals(old)) {
        named.add(named(name + " (in force)", name, old));
      }
    }
    List<DiffSubject> all = new ArrayList<>(named);
    all.addAll(combinations(named));
    return List.copyOf(all);
  }

  /** The subjects of one directory (proposed and in force alike). */
  public static List<DiffSubject> of(PrincipalDirectory principals) {
    return of(principals, PrincipalDirectory.empty());
  }

  private static DiffSubject named(String label, String name, Principal p) {
    return new DiffSubject(label, DiffSubject.Kind.PRINCIPAL, p, List.of(name));
  }

  private record Profile(
      Set<String> roles, Set<String> groups, Map<String, List<String>> attributes) {
    RoleGroups roleGroups() {
      return new RoleGroups(roles, groups);
    }
  }

  private record RoleGroups(Set<String> roles, Set<String> groups) {}

  private static List<DiffSubject> combinations(List<DiffSubject> named) {
    Map<Profile, List<String>> members = new LinkedHashMap<>();
    Map<RoleGroups, Integer> profilesPerCombination = new LinkedHashMap<>();
    for (DiffSubject s : named) {
      Principal p = s.principal();
      Profile key = new Profile(p.roles(), p.groups(), p.attributes());
      List<String> names = members.computeIfAbsent(key, k -> new ArrayList<>());
      if (names.isEmpty()) {
        profilesPerCombination.merge(key.roleGroups(), 1, Integer::sum);
      }
      if (!names.contains(s.principals().getFirst())) {
        names.add(s.principals().getFirst());
      }
    }
    List<DiffSubject> out = new ArrayList<>();
    members.forEach(
        (profile, names) -> {
          String label = "roles=" + profile.roles() + " groups=" + profile.groups();
          if (profilesPerCombination.get(profile.roleGroups()) > 1) {
            label += " attributes=" + profile.attributes();
          }
          out.add(
              new DiffSubject(
                  label,
                  DiffSubject.Kind.COMBINATION,
                  new Principal(ANONYMOUS, profile.roles(), profile.groups(), profile.attributes()),
                  names));
        });
    return out;
  }
}
