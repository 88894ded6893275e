/**
 * JDK Flight Recorder events for what happens in a stack: state changes, retransmissions, timer
 * firings and drops ({@link io.usertcp.runtime.jfr.JfrObserver}), under the category "usertcp".
 * They cost a check of a flag while no recording asks for them. Record with {@code
 * -XX:StartFlightRecording:filename=usertcp.jfr} (or {@code jcmd PID JFR.start}) and read with
 * {@code jfr print --events 'usertcp.*' usertcp.jfr}.
 */
package io.usertcp.runtime.jfr;
