"""Dev-only tooling for Edgeway: the `edgeway` CLI and the local stack.

Nothing in this package ships inside a deployed Lambda artifact.
"""
