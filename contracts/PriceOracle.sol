// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title PriceOracle
/// @notice Holds the latest USD price (8 decimals) of each tracked asset, pushed in
///         batches by a single updater account (the price service).
/// @dev Asset key: the upper-case ASCII symbol, right-padded with zero bytes to 32.
contract PriceOracle {
    struct Price {
        uint192 price;
        uint64 updatedAt;
    }

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

    function setPrices(bytes32[] calldata assets, uint256[] calldata prices) external {
        require(msg.sender == updater, "Not updater");
        require(assets.length == prices.length, "Length mismatch");
        require(assets.length > 0, "Empty batch");
        uint64 nowTs = uint64(block.timestamp);
        for (uint256 i = 0; i < assets.length; ++i) {
            uint256 p = prices[i];
            require(p > 0, "Zero price");
            require(p <= type(uint192).max, "Price too large");
            _prices[assets[i]] = Price(uint192(p), nowTs);
            emit PriceUpdated(assets[i], p, nowTs);
        }
    }

    function getPrice(bytes32 asset) external view returns (uint256 price, uint64 updatedAt) {
        Price memory p = _prices[asset];
        return (p.price, p.updatedAt);
    }
}
