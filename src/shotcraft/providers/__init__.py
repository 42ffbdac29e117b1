"""Clients for outside services, one module each, no domain logic (see DESIGN.md, round 3).

Nothing is exported here: each client is imported from its own module, so importing this
package never loads an optional dependency.
"""
