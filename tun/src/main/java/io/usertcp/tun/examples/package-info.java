/**
 * Small programs that use the stack as a library, each runnable with {@code main} (as root: they
 * make a network namespace and a TUN device, deleted when they end) and run by a test
 * ({@code ExamplesTest}); the README's Java section quotes them between their {@code README:begin}
 * and {@code README:end} lines, which {@code ReadmeJavaTest} checks.
 */
package io.usertcp.tun.examples;
