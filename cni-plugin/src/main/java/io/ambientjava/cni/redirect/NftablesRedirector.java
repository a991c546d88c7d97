package io.ambientjava.cni.redirect;

import java.nio.file.Path;

/**
 * Installs and removes in-pod redirection ({@link InPodRuleset}) plus its policy routing in a pod's network
 * namespace, by running {@code nft} and {@code ip} there. Both operations are idempotent.
 *
 * <p>Each operation is one {@code nsenter} with a small shell script (the nft ruleset on its stdin, then the
 * {@code ip} commands): a pod ADD waits for this, and starting one process instead of four or five halves the
 * agent's share of it.
 */
public final class NftablesRedirector implements PodRedirector {
    private static final int MAX_DUPLICATE_RULES = 16;
    private static final int NFT_FAILED = 10;
    private static final int IP_FAILED = 11;

    private final RedirectionConfig config;

    public NftablesRedirector(RedirectionConfig config) {
        this.config = config;
    }

    /** Installs (or replaces) the rules and the policy routing in {@code netns}. */
    @Override
    public void apply(Path netns) {
        String script = "nft -f - || exit " + NFT_FAILED + "\n"
                + deleteFwmarkRules()
                + "ip rule add " + fwmarkRule() + " || exit " + IP_FAILED + "\n"
                + "ip route replace " + localRoute() + " || exit " + IP_FAILED + "\n";
        run(netns, InPodRuleset.render(config), script);
    }

    /** Removes the table, the rule and the route; what is already gone is skipped. */
    @Override
    public void remove(Path netns) {
        String script = "nft -f - || exit " + NFT_FAILED + "\n"
                + deleteFwmarkRules()
                + "ip route del " + localRoute() + " 2>/dev/null\n"
                + "exit 0\n";
        run(netns, InPodRuleset.removal(), script);
    }

    /** Loads an {@code nft -f} script in one transaction; nft's own complaint ends up in the exception. */
    static void applyScript(Path netns, String script) {
        run(netns, script, "nft -f - || exit " + NFT_FAILED + "\n");
    }

    private static void run(Path netns, String nftScript, String shellScript) {
        NetnsCommand.Result result = NetnsCommand.run(netns, nftScript, "sh", "-c", shellScript);
        switch (result.exitCode()) {
            case 0 -> {}
            case NFT_FAILED ->
                throw new RedirectionException("nft rejected the redirection rules in " + netns + ": "
                        + result.stderr().strip());
            case IP_FAILED ->
                throw new RedirectionException("policy routing (ip rule/route) failed in " + netns + ": "
                        + result.stderr().strip());
            default ->
                throw new RedirectionException("redirection script failed in " + netns + " (exit " + result.exitCode()
                        + "): " + result.stderr().strip());
        }
    }

    /** Deletes every copy of our rule (there should be at most one), bounded in case a delete never fails. */
    private static String deleteFwmarkRules() {
        return "i=0; while [ $i -lt " + MAX_DUPLICATE_RULES + " ] && ip rule del " + fwmarkRule()
                + " 2>/dev/null; do i=$((i+1)); done\n";
    }

    private static String fwmarkRule() {
        return "fwmark 0x" + Integer.toHexString(InPodRuleset.CONNECTION_MARK) + "/0x"
                + Integer.toHexString(InPodRuleset.MARK_MASK) + " pref " + InPodRuleset.RULE_PRIORITY + " lookup "
                + InPodRuleset.ROUTE_TABLE;
    }

    private static String localRoute() {
        return "local 0.0.0.0/0 dev lo table " + InPodRuleset.ROUTE_TABLE;
    }
}
