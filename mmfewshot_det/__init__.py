"""Scope package of ``mmfewshot_det``.

mmengine resolves a default scope ``X`` by importing ``X.registry``; this
package lets it find the registries of :mod:`mmfewshot.detection`.
"""
