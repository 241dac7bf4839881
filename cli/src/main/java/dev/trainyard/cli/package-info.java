/**
 * The {@code trainyard} command-line client: subcommands over the REST API (and nothing else of the
 * backend), a token from {@code login} or local mode's {@code local-token}, text or JSON output.
 */
package dev.trainyard.cli;
