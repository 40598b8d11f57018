/** The {@code anvil} command: the only place that wires Anvil's modules together. */
package dev.anvil.cli;
