package io.usertcp.tools.bench;

import java.math.BigDecimal;

/**
 * A share of data segments the loss case drops, in tenths of a percent, so that 0.1 % is exact:
 * {@code --loss 0.1,1,5} (the loss recovery issue's three rates) is 1, 10 and 50 per mille.
 *
 * @param perMille 1..500 (0.1 % .. 50 %)
 */
public record LossRate(int perMille) {
    public static final int MAX_PER_MILLE = 500;

    public LossRate {
        if (perMille < 1 || perMille > MAX_PER_MILLE) {
            throw new IllegalArgumentException("loss: " + perMille / 10.0 + " % (expected: 0.1 .. 50, in steps of 0.1)");
        }
    }

    /**
     * A percentage as written on the command line: {@code 0.1}, {@code 1}, {@code 5}.
     *
     * @throws IllegalArgumentException for anything else, with the accepted form
     */
    public static LossRate parsePercent(String text) {
        BigDecimal perMille;
        try {
            perMille = new BigDecimal(text.trim()).movePointRight(1);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("loss: '" + text + "' (expected: a percentage such as 0.1, 1 or 5)");
        }
        if (perMille.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("loss: " + text + " % (expected: steps of 0.1 %)");
        }
        if (perMille.signum() <= 0 || perMille.compareTo(BigDecimal.valueOf(MAX_PER_MILLE)) > 0) {
            throw new IllegalArgumentException("loss: " + text + " % (expected: 0.1 .. 50)");
        }
        return new LossRate(perMille.intValueExact());
    }

    /** {@code "0.1 %"}, {@code "1 %"}, {@code "2.5 %"}. */
    public String label() {
        return (perMille % 10 == 0 ? Integer.toString(perMille / 10) : perMille / 10 + "." + perMille % 10) + " %";
    }

    /** The percentage as a number (JSON). */
    public double percent() {
        return perMille / 10.0;
    }
}
