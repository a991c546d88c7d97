#!/bin/sh
# Makes a base image tarball (docker-save layout) from a local JDK with jlink, for building the images without a
# registry:  deploy/images/local-base.sh /tmp/jre25-base.tar
#            ./mvnw -B -f deploy/images/pom.xml -Pimage -Dimage.base=tar:///tmp/jre25-base.tar \
#                -Dimage.nodeAgentBase=tar:///tmp/jre25-base.tar package
# The base holds only the Java runtime (no libc, no shell): good for checking that the images build and hold a
# runnable class path, not for running them; use a real Java 25 base for that.
set -eu
out=${1:?usage: local-base.sh OUTPUT.tar}
jdk=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/opt/java"
"$jdk/bin/jlink" --add-modules java.se,jdk.unsupported,jdk.management,jdk.crypto.ec,jdk.net,jdk.zipfs,jdk.httpserver,jdk.naming.dns \
    --strip-debug --no-header-files --no-man-pages --compress zip-6 --output "$work/rootfs/opt/java/openjdk"
tar -C "$work/rootfs" -cf "$work/layer.tar" .
sha=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
cat > "$work/config.json" <<JSON
{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/opt/java/openjdk/bin:/usr/bin:/bin","JAVA_HOME=/opt/java/openjdk"]},"rootfs":{"type":"layers","diff_ids":["sha256:$sha"]}}
JSON
echo '[{"Config":"config.json","RepoTags":["local/jre25:jlink"],"Layers":["layer.tar"]}]' > "$work/manifest.json"
tar -C "$work" -cf "$out" manifest.json config.json layer.tar
echo "base image written to $out"
