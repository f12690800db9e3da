// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title PriceOracle
/// @notice Holds the latest USD price (8 decimals) of each tracked asset, pushed in
///         batches by a single updater account (the price service).
/// @dev Asset key: the upper-case ASCII symbol, right-padded with zero bytes to 32.
///      Each price carries the time its source observed it. A batch mined late (a stuck
///      transaction, a replayed one) can never overwrite a newer observation: such entries
///      are skipped, not reverted, so the rest of the batch still lands.
contract PriceOracle {
    struct Price {
        uint192 price;
        uint64 updatedAt; // the source's observation time (Unix seconds), not the block's
    }

    /// An observation may be at most this far ahead of the block time (clock skew between
    /// the sources and the chain); further ahead it would block every honest update after it.
    uint256 public constant MAX_FUTURE = 300;

    address public owner;
    address public updater;

    mapping(bytes32 => Price) private _prices;

    event PriceUpdated(bytes32 indexed asset, uint256 price, uint64 updatedAt);
    event UpdaterChanged(address indexed previousUpdater, address indexed newUpdater);

    modifier onlyOwner() {
        require(msg.sender == owner, "Not owner");
        _;
    }

    constructor(address updater_) {
        owner = msg.sender;
        updater = updater_;
        emit UpdaterChanged(address(0), updater_);
    }

    function setUpdater(address updater_) external onlyOwner {
        emit UpdaterChanged(updater, updater_);
        updater = updater_;
    }

    function setPrices(bytes32[] calldata assets, uint256[] calldata prices, uint64[] calldata observedAt) external {
        require(msg.sender == updater, "Not updater");
        require(assets.length == prices.length && assets.length == observedAt.length, "Length mismatch");
        require(assets.length > 0, "Empty batch");
        uint256 latestAllowed = block.timestamp + MAX_FUTURE;
        for (uint256 i = 0; i < assets.length; ++i) {
            uint256 p = prices[i];
            uint64 t = observedAt[i];
            require(p > 0, "Zero price");
            require(p <= type(uint192).max, "Price too large");
            require(t <= latestAllowed, "Observation in the future");
            // Not newer than what is stored: a late or repeated observation, skipped.
            if (t <= _prices[assets[i]].updatedAt) continue;
            _prices[assets[i]] = Price(uint192(p), t);
            emit PriceUpdated(assets[i], p, t);
        }
    }

    function getPrice(bytes32 asset) external view returns (uint256 price, uint64 updatedAt) {
        Price memory p = _prices[asset];
        return (p.price, p.updatedAt);
    }
}
