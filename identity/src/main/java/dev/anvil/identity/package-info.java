/**
 * Identities: OIDC access tokens (Keycloak or any OIDC provider) verified against the issuer's keys
 * and mapped to the {@link dev.anvil.rbac.Principal} that policies see, plus a development issuer
 * for the embedded mode. Nothing is trusted that was not verified.
 */
package dev.anvil.identity;
