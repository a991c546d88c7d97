package io.ambientjava.cni.redirect;

import java.nio.file.Path;

/**
 * Installs and removes in-pod redirection ({@link InPodRuleset}) plus its policy routing in a pod's network
 * namespace, by running {@code nft} and {@code ip} there. Both operations are idempotent.
 */
public final class NftablesRedirector implements PodRedirector {
    private static final int MAX_DUPLICATE_RULES = 16;

    private final RedirectionConfig config;

    public NftablesRedirector(RedirectionConfig config) {
        this.config = config;
    }

    /** Installs (or replaces) the rules and the policy routing in {@code netns}. */
    @Override
    public void apply(Path netns) {
        applyScript(netns, InPodRuleset.render(config));
        deleteFwmarkRules(netns);
        ip(
                netns,
                "rule",
                "add",
                "fwmark",
                fwmark(),
                "pref",
                Integer.toString(InPodRuleset.RULE_PRIORITY),
                "lookup",
                Integer.toString(InPodRuleset.ROUTE_TABLE));
        ip(
                netns,
                "route",
                "replace",
                "local",
                "0.0.0.0/0",
                "dev",
                "lo",
                "table",
                Integer.toString(InPodRuleset.ROUTE_TABLE));
    }

    /** Removes the table, the rule and the route; what is already gone is skipped. */
    @Override
    public void remove(Path netns) {
        applyScript(netns, InPodRuleset.removal());
        deleteFwmarkRules(netns);
        NetnsCommand.run(
                netns,
                "",
                "ip",
                "route",
                "del",
                "local",
                "0.0.0.0/0",
                "dev",
                "lo",
                "table",
                Integer.toString(InPodRuleset.ROUTE_TABLE));
    }

    /** Loads an {@code nft -f} script in one transaction; nft's own complaint ends up in the exception. */
    static void applyScript(Path netns, String script) {
        NetnsCommand.Result result = NetnsCommand.run(netns, script, "nft", "-f", "-");
        if (!result.succeeded()) {
            throw new RedirectionException("nft rejected the redirection rules in " + netns + ": "
                    + result.stderr().strip());
        }
    }

    private static void deleteFwmarkRules(Path netns) {
        for (int i = 0; i < MAX_DUPLICATE_RULES; i++) {
            NetnsCommand.Result result = NetnsCommand.run(
                    netns,
                    "",
                    "ip",
                    "rule",
                    "del",
                    "fwmark",
                    fwmark(),
                    "pref",
                    Integer.toString(InPodRuleset.RULE_PRIORITY),
                    "lookup",
                    Integer.toString(InPodRuleset.ROUTE_TABLE));
            if (!result.succeeded()) {
                return;
            }
        }
    }

    private static void ip(Path netns, String... arguments) {
        String[] command = new String[arguments.length + 1];
        command[0] = "ip";
        System.arraycopy(arguments, 0, command, 1, arguments.length);
        NetnsCommand.Result result = NetnsCommand.run(netns, "", command);
        if (!result.succeeded()) {
            throw new RedirectionException(String.join(" ", command) + " failed in " + netns + ": "
                    + result.stderr().strip());
        }
    }

    private static String fwmark() {
        return "0x" + Integer.toHexString(InPodRuleset.CONNECTION_MARK) + "/0x"
                + Integer.toHexString(InPodRuleset.MARK_MASK);
    }
}
