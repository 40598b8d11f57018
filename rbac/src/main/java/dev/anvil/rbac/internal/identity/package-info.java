/** Where verification keys come from: a cached, rate-limited JWKS fetch, or a fixed set. */
package dev.anvil.rbac.internal.identity;
