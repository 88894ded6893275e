package io.usertcp.tun.interop;

import io.usertcp.tcp.TcpProfile;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A test that runs once per built-in behaviour profile of our stack (linux, rfc, freebsd), against
 * the same Linux kernel: the method takes the {@link TcpProfile.Reference} and builds its host
 * with {@link InteropSupport#tcp} (that reference's numbers, with only what the test itself needs
 * changed on top).
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedTest(name = "{0} profile")
@EnumSource(TcpProfile.Reference.class)
@interface EachProfile {}
