"""The deployment recipes, validated statically (no Docker or cluster here)."""

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
K8S_VERSION = "1.30.0"


def compose():
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def manifests():
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                yield path.name, document


def test_compose_references_only_defined_services_and_volumes():
    spec = compose()
    services, volumes = spec["services"], set(spec["volumes"])
    assert set(services) == {"postgres", "models-init", "triton", "selector", "assist", "inspect", "web"}
    # Triton starts once the bundled generalist models are in the repository, and loads both models.
    assert services["triton"]["depends_on"]["models-init"] == {"condition": "service_completed_successfully"}
    assert services["models-init"]["command"] == ["labelassist.cli", "model", "install"]
    assert {"--load-model=unet", "--load-model=clicknet"} <= set(services["triton"]["command"])
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, (name, dependency)
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            assert source in volumes, (name, source)


def test_compose_reserves_a_gpu_for_triton_and_points_the_services_at_it():
    spec = compose()
    devices = spec["services"]["triton"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["capabilities"] == ["gpu"]
    for name in ("selector", "assist"):
        assert spec["services"][name]["environment"]["LABELASSIST_TRITON_URL"] == "triton:8001"
    assert spec["services"]["selector"]["environment"]["LABELASSIST_DATABASE_URL"].startswith("postgresql+psycopg://")


def test_triton_is_reachable_only_by_the_services_and_the_trainer():
    assert "ports" not in compose()["services"]["triton"]
    policies = [d for _, d in manifests() if d["kind"] == "NetworkPolicy"]
    assert [p["spec"]["podSelector"]["matchLabels"] for p in policies] == [{"app.kubernetes.io/name": "triton"}]
    allowed = policies[0]["spec"]["ingress"][0]["from"][0]["podSelector"]["matchExpressions"][0]["values"]
    assert sorted(allowed) == ["assist", "inspect", "selector", "trainer"]


@pytest.mark.parametrize("name, document", list(manifests()), ids=lambda v: v if isinstance(v, str) else v["kind"])
def test_every_manifest_validates_against_the_kubernetes_schema(name, document):
    kubernetes_validate.validate(document, K8S_VERSION, strict=True)


def test_every_service_deployment_has_grpc_readiness_and_liveness_probes():
    deployments = {d["metadata"]["name"]: d for _, d in manifests() if d["kind"] == "Deployment"}
    assert set(deployments) == {"selector", "assist", "inspect", "triton", "web"}
    for name in ("selector", "assist", "inspect"):
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        port = container["ports"][0]["containerPort"]
        assert container["readinessProbe"]["grpc"]["port"] == port
        assert container["livenessProbe"]["grpc"]["port"] == port
    triton = deployments["triton"]["spec"]["template"]["spec"]["containers"][0]
    assert triton["resources"]["limits"]["nvidia.com/gpu"] == 1
    kinds = {d["kind"] for _, d in manifests()}
    assert {"ConfigMap", "Secret", "PersistentVolumeClaim", "Service", "HorizontalPodAutoscaler"} <= kinds


def test_the_dockerfile_installs_the_services_and_runs_as_a_user():
    text = (DEPLOY / "Dockerfile").read_text()
    assert 'pip install ".[services' in text and "USER labelassist" in text


def test_clients_reach_every_replica_through_headless_services_and_replicas_survive_a_drain():
    documents = [d for _, d in manifests()]
    services = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Service"}
    budgets = {d["metadata"]["name"]: d for d in documents if d["kind"] == "PodDisruptionBudget"}
    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    config = next(d for d in documents if d["kind"] == "ConfigMap")["data"]
    for name, port in (("selector", 50051), ("assist", 50052), ("inspect", 50053)):
        # A ClusterIP would pin each client's one HTTP/2 connection to one pod.
        assert services[name]["spec"]["clusterIP"] == "None", name
        assert config[f"LABELASSIST_{name.upper()}_ADDRESS"] == f"dns:///{name}:{port}"
        assert deployments[name]["spec"]["replicas"] >= 2, name
        assert budgets[name]["spec"]["maxUnavailable"] == 1
        assert budgets[name]["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": name}
        spread = deployments[name]["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
        term = spread["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]
        assert term["topologyKey"] == "kubernetes.io/hostname"


def test_the_services_reach_every_triton_replica_and_prometheus_scrapes_triton():
    documents = [d for _, d in manifests()]
    triton = next(d for d in documents if d["kind"] == "Service" and d["metadata"]["name"] == "triton")
    assert triton["spec"]["clusterIP"] == "None"
    config = next(d for d in documents if d["kind"] == "ConfigMap")["data"]
    assert config["LABELASSIST_TRITON_URL"] == "dns:///triton:8001"
    deployment = next(d for d in documents if d["kind"] == "Deployment" and d["metadata"]["name"] == "triton")
    template = deployment["spec"]["template"]
    ports = {p["name"]: p["containerPort"] for p in template["spec"]["containers"][0]["ports"]}
    assert template["metadata"]["annotations"]["prometheus.io/port"] == str(ports["metrics"])
    policy = next(d for d in documents if d["kind"] == "NetworkPolicy")
    scrape = [rule for rule in policy["spec"]["ingress"] if {"port": ports["metrics"], "protocol": "TCP"}
              in rule["ports"]]
    assert scrape and scrape[0]["from"][0]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "prometheus"}


def test_every_service_pod_exposes_its_metrics_for_scraping():
    documents = [d for _, d in manifests()]
    config = next(d for d in documents if d["kind"] == "ConfigMap")["data"]
    port = config["LABELASSIST_METRICS_PORT"]
    for deployment in (d for d in documents if d["kind"] == "Deployment" and d["metadata"]["name"] != "triton"):
        template = deployment["spec"]["template"]
        assert template["metadata"]["annotations"]["prometheus.io/port"] == port
        ports = {p["name"]: p["containerPort"] for p in template["spec"]["containers"][0]["ports"]}
        assert ports["metrics"] == int(port)


def test_training_runs_in_gpu_jobs_of_its_own_that_share_the_journal():
    documents = [d for _, d in manifests()]
    config = next(d for d in documents if d["kind"] == "ConfigMap")["data"]
    assert config["LABELASSIST_TRAINING_RUNNER"] == "queue"
    [cron] = [d for d in documents if d["kind"] == "CronJob"]
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["args"] == ["labelassist.cli", "trainer", "--once"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["data"]["persistentVolumeClaim"]["claimName"] == "labelassist-data"  # the assist replicas' volume
    policy = next(d for d in documents if d["kind"] == "NetworkPolicy")
    allowed = policy["spec"]["ingress"][0]["from"][0]["podSelector"]["matchExpressions"][0]["values"]
    assert "trainer" in allowed  # it loads each new version into Triton


def test_the_optional_object_store_validates_and_says_how_the_selector_uses_it():
    path = DEPLOY / "k8s" / "object-store" / "minio.yaml"
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
    for document in documents:
        kubernetes_validate.validate(document, K8S_VERSION, strict=True)
    assert {d["kind"] for d in documents} == {"StatefulSet", "Service", "Secret"}
    text = path.read_text()
    assert "LABELASSIST_BLOB_URL: s3://" in text and "AWS_ENDPOINT_URL: http://minio:9000" in text


def test_the_browser_gateway_runs_in_compose_and_as_ready_checked_replicas():
    web = compose()["services"]["web"]
    assert web["command"][:1] == ["labelassist.client.web"] and web["ports"] == ["8080:8080"]
    assert web["environment"]["LABELASSIST_SELECTOR_ADDRESS"] == "selector:50051"
    documents = [d for _, d in manifests()]
    deployment = next(d for d in documents if d["kind"] == "Deployment" and d["metadata"]["name"] == "web")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert deployment["spec"]["replicas"] >= 2
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert not any("secretRef" in source for source in container["envFrom"]), "requests bring their own tokens"
    service = next(d for d in documents if d["kind"] == "Service" and d["metadata"]["name"] == "web")
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert 'pip install ".[services,web' in (DEPLOY / "Dockerfile").read_text()


def _restricted_flags(arguments: list[str], secret_reference: str) -> dict[str, list[str]]:
    """Each of Triton's restricted-protocol options: the protocols it restricts, with the expected key."""
    from labelassist.models.triton_access import HEADER_KEY

    found = {}
    for argument in arguments:
        for option in ("--grpc-restricted-protocol=", "--http-restricted-api="):
            if argument.startswith(option):
                protocols, _, key = argument.removeprefix(option).partition(":")
                assert key == f"{HEADER_KEY}={secret_reference}", argument
                found[option] = protocols.split(",")
    return found


def test_kubernetes_triton_admits_only_callers_with_the_secret_the_services_load():
    from labelassist.models.triton_access import RESTRICTED_PROTOCOLS

    documents = {(d["kind"], d["metadata"]["name"]): d for _, d in manifests()}
    triton = documents["Deployment", "triton"]["spec"]["template"]["spec"]["containers"][0]
    flags = _restricted_flags(triton["args"], "$(LABELASSIST_TRITON_SECRET)")
    assert flags and all(protocols == list(RESTRICTED_PROTOCOLS) for protocols in flags.values()), flags
    assert len(flags) == 2
    variable = next(e for e in triton["env"] if e["name"] == "LABELASSIST_TRITON_SECRET")
    assert variable["valueFrom"]["secretKeyRef"] == {"name": "labelassist", "key": "LABELASSIST_TRITON_SECRET"}
    assert "LABELASSIST_TRITON_SECRET" in documents["Secret", "labelassist"]["stringData"]
    for kind, name in (("Deployment", "selector"), ("Deployment", "assist"), ("Deployment", "inspect"),
                       ("CronJob", "trainer")):
        spec = documents[kind, name]["spec"]
        pod = (spec["jobTemplate"]["spec"] if kind == "CronJob" else spec)["template"]["spec"]
        assert {"secretRef": {"name": "labelassist"}} in pod["containers"][0]["envFrom"], name


def test_compose_triton_admits_only_callers_with_the_secret_the_services_get():
    from labelassist.models.triton_access import RESTRICTED_PROTOCOLS

    services = compose()["services"]
    flags = _restricted_flags(services["triton"]["command"], "${LABELASSIST_TRITON_SECRET}")
    assert len(flags) == 2 and all(protocols == list(RESTRICTED_PROTOCOLS) for protocols in flags.values())
    for name in ("selector", "assist", "inspect"):
        assert services[name]["environment"]["LABELASSIST_TRITON_SECRET"] == \
            "${LABELASSIST_TRITON_SECRET:?set LABELASSIST_TRITON_SECRET}", name
