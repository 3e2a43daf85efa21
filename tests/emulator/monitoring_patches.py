"""GuardDuty behaviour that moto 5.2.5 lacks and ``bucketwarden monitoring`` relies on.

Each function patches a moto class in place. ``moto_patches.apply_all`` calls
``apply_all`` here before the server handles its first request.
"""

from typing import Any

from moto.guardduty.exceptions import GuardDutyException
from moto.guardduty.models import Detector, GuardDutyBackend


class DetectorAlreadyExistsException(GuardDutyException):
    """The error GuardDuty returns for a CreateDetector call in a region that has a detector."""

    code = 400

    def __init__(self) -> None:
        super().__init__(
            "InvalidInputException",
            "The request is rejected because a detector already exists for the current account.",
        )

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        return [("X-Amzn-ErrorType", "BadRequestException")]


def reject_second_detector() -> None:
    """Make CreateDetector fail when the account already has a detector in the region.

    Real GuardDuty allows one detector per account and region, and rejects a
    second CreateDetector with HTTP 400 ``BadRequestException`` ("a detector
    already exists for the current account"). Moto 5.2.5 creates another detector.
    """
    original_create = GuardDutyBackend.create_detector

    def create_detector(self: GuardDutyBackend, *args: Any, **kwargs: Any) -> str:
        if self.detectors:
            raise DetectorAlreadyExistsException()
        return original_create(self, *args, **kwargs)

    GuardDutyBackend.create_detector = create_detector


def merge_detector_features() -> None:
    """Make UpdateDetector change only the features that the request names.

    Real GuardDuty updates each feature named in UpdateDetector's ``features``
    and keeps the others as they were. Moto 5.2.5 replaces the detector's whole
    feature list with the request's, so a feature left out of the request is lost.
    """
    original_update = Detector.update

    def update(
        self: Detector,
        enable: bool,
        finding_publishing_frequency: str,
        data_sources: dict[str, Any],
        features: list[dict[str, Any]],
    ) -> None:
        if features is not None:
            merged = {feature.get("name"): feature for feature in self.features}
            for feature in features:
                merged[feature.get("name")] = feature
            features = list(merged.values())
        original_update(self, enable, finding_publishing_frequency, data_sources, features)

    Detector.update = update


def apply_all() -> None:
    """Apply every patch in this module."""
    reject_second_detector()
    merge_detector_features()
