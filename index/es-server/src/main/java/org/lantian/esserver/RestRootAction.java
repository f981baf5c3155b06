package org.lantian.esserver;

import org.elasticsearch.Build;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.xcontent.XContentBuilder;

import java.io.IOException;
import java.util.List;
import java.util.function.Supplier;

import static org.elasticsearch.rest.RestRequest.Method.GET;
import static org.elasticsearch.rest.RestRequest.Method.HEAD;

/** The root endpoint: node and cluster names, cluster UUID, build and Lucene versions, the tagline. */
final class RestRootAction extends BaseRestHandler {
    private final Supplier<ClusterService> clusterService;

    RestRootAction(Supplier<ClusterService> clusterService) {
        this.clusterService = clusterService;
    }

    @Override
    public String getName() {
        return "lantian_root_action";
    }

    @Override
    public List<Route> routes() {
        return List.of(new Route(GET, "/"), new Route(HEAD, "/"));
    }

    @Override
    protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
        ClusterService cluster = clusterService.get();
        return channel -> {
            XContentBuilder builder = channel.newBuilder();
            if (request.hasParam("pretty") == false) {
                builder.prettyPrint().lfAtEnd();
            }
            write(builder, cluster);
            channel.sendResponse(new RestResponse(RestStatus.OK, builder));
        };
    }

    private static void write(XContentBuilder builder, ClusterService cluster) throws IOException {
        Build build = Build.current();
        builder.startObject();
        builder.field("name", cluster.getNodeName());
        builder.field("cluster_name", cluster.getClusterName().value());
        builder.field("cluster_uuid", cluster.state().metadata().clusterUUID());
        builder.startObject("version")
            .field("number", build.qualifiedVersion())
            .field("build_flavor", build.flavor())
            .field("build_type", build.type().displayName())
            .field("build_hash", build.hash())
            .field("build_date", build.date())
            .field("build_snapshot", build.isSnapshot())
            .field("lucene_version", org.apache.lucene.util.Version.LATEST.toString())
            .field("minimum_wire_compatibility_version", build.minWireCompatVersion())
            .field("minimum_index_compatibility_version", build.minIndexCompatVersion())
            .endObject();
        builder.field("tagline", "You Know, for Search");
        builder.endObject();
    }
}
