/*
 * Batch-invariant attention engine for DJL.
 */
package ai.djl.batchinvariant.zoo;

import ai.djl.repository.MRL;
import ai.djl.repository.RemoteRepository;
import ai.djl.repository.Repository;
import ai.djl.repository.RepositoryFactory;
import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelZoo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code djl://} scheme. DJL's own resolver sends every {@code djl://GROUP/ARTIFACT} URL to its
 * remote repository, where this zoo's models are not, and which an offline machine cannot reach;
 * this one sends {@value BiModelZoo#GROUP_ID} URLs to the bundled directory (a local repository)
 * and resolves every other group exactly as DJL does.
 */
final class DjlUrls implements RepositoryFactory {

    /** DJL's own split of a djl URL path into artifact, version and artifact name. */
    private static final Pattern VERSIONED = Pattern.compile("(.+)/([\\d.]+)(/(.*))?");

    /** {@inheritDoc} */
    @Override
    public Repository newInstance(String name, URI uri) {
        String group = uri.getHost();
        String path = uri.getPath() == null ? "" : uri.getPath();
        if (path.startsWith("/")) {
            path = path.substring(1);
        }
        if (group == null || path.isEmpty()) {
            throw new IllegalArgumentException("Invalid djl URL: " + uri);
        }
        String artifact = path;
        String version = null;
        String artifactName = null;
        Matcher m = VERSIONED.matcher(path);
        if (m.matches()) {
            artifact = m.group(1);
            version = m.group(2);
            artifactName = m.group(4);
        }
        ModelZoo zoo = ModelZoo.getModelZoo(group);
        if (zoo == null) {
            throw new IllegalArgumentException("ModelZoo not found in classpath: " + group);
        }
        ModelLoader loader = zoo.getModelLoader(artifact);
        if (loader == null) {
            throw new IllegalArgumentException("Invalid djl URL: " + uri + " (no artifact " + artifact + " in "
                    + group + ")");
        }
        if (loader instanceof BundledModel) {
            try {
                Path dir = ((BundledModel) loader).directory();
                // DJL picks the translator factory before it reads serving.properties: name it here
                String query = "translatorFactory=" + CausalLmTranslatorFactory.class.getName();
                if (uri.getRawQuery() != null) {
                    query = uri.getRawQuery().contains("translatorFactory=") ? uri.getRawQuery()
                            : uri.getRawQuery() + "&" + query;
                }
                return Repository.newInstance(name, dir.toUri() + "?" + query);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot copy the bundled model " + artifact, e);
            }
        }
        String query = uri.getRawQuery();
        URI base = URI.create(ModelZoo.DJL_REPO_URL + (query == null ? "" : "?" + query));
        RemoteRepository repo = new RemoteRepository(name, base);
        MRL mrl = repo.model(loader.getApplication(), group, artifact, version, artifactName);
        repo.addResource(mrl);
        return repo;
    }

    /** {@inheritDoc} */
    @Override
    public Set<String> getSupportedScheme() {
        return Collections.singleton("djl");
    }
}
