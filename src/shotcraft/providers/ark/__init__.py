"""Volcengine Ark / BytePlus ModelArk (Seedance's task API): one account, one client.

- `settings`: `SeedanceSettings` (`[seedance]`, `SHOTCRAFT_SEEDANCE_*`), the region hosts;
- `client`: `ArkClient`, the task API (create, get, list, delete) through the Volcengine SDK's
  Ark runtime, and what its errors mean.

This file imports neither, so reading the settings never loads httpx or the SDK.
"""
