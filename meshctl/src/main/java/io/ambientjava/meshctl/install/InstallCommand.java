package io.ambientjava.meshctl.install;

import io.ambientjava.meshctl.ExitCodes;
import io.ambientjava.meshctl.MeshctlException;
import io.ambientjava.meshctl.kube.KubeErrors;
import io.ambientjava.meshctl.kube.KubeOptions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code meshctl install [--render] [--overlay NAME]}: the Kubernetes install, printed or applied. */
@Command(
        name = "install",
        mixinStandardHelpOptions = true,
        description = {
            "Installs ambient-java into a Kubernetes cluster: CRDs, istiod-lite, the ztunnel and node agent"
                    + " DaemonSets, RBAC and the validating webhook.",
            "With --render the manifests are printed instead (base plus overlay, as 'kubectl kustomize' would)."
        })
public final class InstallCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    KubeOptions kube;

    @Option(names = "--render", description = "Print the manifests as YAML; do not contact a cluster.")
    boolean render;

    @Option(
            names = "--overlay",
            paramLabel = "NAME",
            description = "Overlay to render on top of the base (kind, production); without it the base alone.")
    String overlay;

    @Option(
            names = "--manifests",
            paramLabel = "DIR",
            description = "The deploy/daemonset folder to read (default: the copy bundled in meshctl).")
    Path manifests;

    @Option(
            names = "--hub",
            paramLabel = "REGISTRY/ORG",
            description = "Pull our images (ambient-java/<name>) from here instead, e.g. registry.local:5000/mesh.")
    String hub;

    @Option(names = "--tag", paramLabel = "TAG", description = "Use this tag for our images (e.g. dev).")
    String tag;

    @Option(names = "--uninstall", description = "Delete what install created (CRDs are kept unless --purge).")
    boolean uninstall;

    @Option(
            names = "--purge",
            description = "With --uninstall: delete the CRDs too (and with them every Istio resource).")
    boolean purge;

    @Override
    public Integer call() {
        if (purge && !uninstall) {
            throw new MeshctlException("--purge needs --uninstall");
        }
        ManifestTree tree = manifests == null ? ManifestTree.bundled() : ManifestTree.folder(manifests);
        String folder = overlay == null ? "base" : "overlays/" + overlay;
        if (overlay != null && tree.read(folder + "/kustomization.yaml").isEmpty()) {
            throw new MeshctlException("no overlay '" + overlay + "' in " + tree.describe()
                    + " (there: overlays/<name>/kustomization.yaml)");
        }
        KustomizeRenderer renderer = new KustomizeRenderer(tree);
        ImageOverrides images =
                new ImageOverrides(java.util.Optional.ofNullable(hub), java.util.Optional.ofNullable(tag));
        var out = spec.commandLine().getOut();
        if (render) {
            if (uninstall) {
                throw new MeshctlException("--render and --uninstall do not go together");
            }
            var rendered = renderer.render(folder);
            images.apply(rendered);
            out.print(KustomizeRenderer.toYaml(rendered));
            out.flush();
            return ExitCodes.OK;
        }
        var objects = renderer.render(folder);
        images.apply(objects);
        try (var client = kube.client()) {
            ClusterInstaller installer = new ClusterInstaller(client);
            if (uninstall) {
                installer.uninstall(objects, purge).forEach(out::println);
            } else {
                installer.apply(objects).forEach(out::println);
            }
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            throw KubeErrors.explain(e, uninstall ? "uninstalling" : "installing", kube);
        }
        out.flush();
        return ExitCodes.OK;
    }
}
