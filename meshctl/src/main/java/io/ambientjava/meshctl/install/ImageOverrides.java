package io.ambientjava.meshctl.install;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.ambientjava.meshctl.MeshctlException;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code --hub} and {@code --tag}, as istioctl's {@code hub}/{@code tag} settings: where our own images
 * ({@code ambient-java/<name>}) are pulled from and which version. Other images are left alone.
 */
public record ImageOverrides(Optional<String> hub, Optional<String> tag) {

    static final String OWN_REPOSITORY = "ambient-java/";
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
    private static final Pattern HUB =
            Pattern.compile("[a-z0-9]([a-z0-9._:-]*[a-z0-9])?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*");

    public ImageOverrides {
        tag.ifPresent(t -> {
            if (!TAG.matcher(t).matches()) {
                throw new MeshctlException("--tag '" + t + "' is not an image tag (letters, digits, '_', '.', '-')");
            }
        });
        hub.ifPresent(h -> {
            if (!HUB.matcher(h).matches()) {
                throw new MeshctlException(
                        "--hub '" + h + "' is not a registry/repository prefix (e.g. registry.local:5000/mesh)");
            }
        });
    }

    public static ImageOverrides none() {
        return new ImageOverrides(Optional.empty(), Optional.empty());
    }

    public void apply(List<ObjectNode> objects) {
        if (hub.isEmpty() && tag.isEmpty()) {
            return;
        }
        for (ObjectNode object : objects) {
            KustomizeRenderer.forEachContainer(object, container -> {
                String image = container.path("image").asText();
                if (image.startsWith(OWN_REPOSITORY)) {
                    container.set("image", new TextNode(rewrite(image)));
                }
            });
        }
    }

    String rewrite(String image) {
        String rest = image.substring(OWN_REPOSITORY.length());
        String name = rest;
        String version = "";
        int at = rest.indexOf('@');
        int colon = rest.lastIndexOf(':');
        if (at >= 0) {
            name = rest.substring(0, at);
            version = rest.substring(at);
        } else if (colon >= 0) {
            name = rest.substring(0, colon);
            version = rest.substring(colon);
        }
        String repository = hub.map(h -> h + "/").orElse(OWN_REPOSITORY);
        return repository + name + tag.map(t -> ":" + t).orElse(version);
    }
}
