package io.usertcp.tools.bench;

import io.usertcp.tools.demo.MissingProgramException;
import io.usertcp.tun.TunSupport;
import io.usertcp.tun.TunUnavailableException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The engine of {@code usertcp bench}: checks that everything the chosen cases need is here, then
 * runs them in order, ours and the kernel's side by side in each, and gathers the rows. A case
 * that fails leaves a row with its error and the run goes on; what is missing on the machine
 * (root, TUN, nft) stops the run before anything is made.
 */
public final class Bench {
    private Bench() {}

    /**
     * Everything the chosen cases need, checked before anything is created.
     *
     * @return {@code null}, or one line saying what is missing and how to get it
     */
    public static String missing(BenchOptions options) {
        String tun = TunSupport.check();
        if (tun != null) {
            return tun;
        }
        if (options.cases().contains(BenchCase.LOSS)) {
            String why = NftLoss.missing() != null ? NftLoss.missing() : VethSetup.ethtoolMissing();
            if (why != null) {
                return why;
            }
        }
        if (options.cases().contains(BenchCase.MEMORY)) {
            try {
                MemoryCase.requireAvailable();
            } catch (TunUnavailableException | MissingProgramException e) {
                return e.getMessage();
            }
        }
        return null;
    }

    /**
     * Runs the cases.
     *
     * @throws TunUnavailableException   when TUN devices or namespaces cannot be made
     * @throws MissingProgramException   when a program a case needs is not installed
     */
    public static BenchReport run(BenchOptions options, Progress progress) {
        String why = missing(options);
        if (why != null) {
            throw new TunUnavailableException(why);
        }
        MachineInfo machine = MachineInfo.current();
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        progress.say("usertcp bench on " + machine.describe() + "; load average " + ResultTable.number(machine.loadBefore())
                + "; our stack in the " + options.profile().name() + " profile");
        List<Measurement> rows = new ArrayList<>();
        for (BenchCase c : options.cases()) {
            long caseStart = System.nanoTime();
            progress.say(c.cliName() + ": start");
            rows.addAll(switch (c) {
                case LINK -> LinkCeilingCase.run(options, progress);
                case BULK -> BulkCase.run(options, progress);
                case RR -> RequestResponseCase.run(options, progress);
                case CONNRATE -> ConnectionRateCase.run(options, progress);
                case MEMORY -> MemoryCase.run(options, progress);
                case LOSS -> LossCase.run(options, progress);
            });
            progress.say(c.cliName() + ": done in " + ResultTable.number((System.nanoTime() - caseStart) / 1e9) + " s");
        }
        return new BenchReport(machine, options, started, System.nanoTime() - t0, MachineInfo.loadAverage(), rows);
    }
}
